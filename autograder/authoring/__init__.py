"""The instructor's side: turning a course's sources into what students and Gradescope get, and proving the
grader right.

| module | its one job |
|---|---|
| ``build`` | starter/, handouts, public tests, the student zip and the Gradescope bundle; deterministic |
| ``verify`` | the solution full marks, the starter none, every mutant caught |
| ``mutants`` | instructor mutants: read their header, lay one out as a submission |
| ``public_cases`` | run a recorded public case (standalone: copied into starters as ``_nnhw_cases.py``) |
| ``rounding`` | recorded values rounded so the build writes the same bytes on every CPU |
| ``record_cuda`` | ``nnhw record-cuda``: store torch's CUDA results for graders without a GPU |
"""
