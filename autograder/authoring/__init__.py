"""The instructor's side: turning a course's sources into what students and Gradescope get, and proving the
grader right.

| module | its one job |
|---|---|
| ``build`` | starter/, handouts, public tests, the student zip and the Gradescope bundle; deterministic |
| ``verify`` | the solution full marks, the starter none, every mutant caught, every accepted variant full marks |
| ``mutants`` | instructor mutants and accepted variants: read their header, lay one out as a submission |
| ``names`` | the names graded tests and mutants use, checked against the solution's before anything is built |
| ``selfcheck`` | the starter's public tests, run with code that must pass them (the solution, the variants) |
| ``recording`` | record the public cases' answers from the reference; refuse a case that cannot be replayed |
| ``recorded_causes`` | record each public case's experiment (probes, answers, predictions) for its likely cause |
| ``public_cases`` | run a recorded public case (standalone: copied into starters as ``_nnhw_cases.py``) |
| ``scaffold``, ``scaffold_cache`` | ``nnhw new``: a course in an empty folder, an assignment that builds and verifies |
| ``rounding`` | recorded values rounded so the build writes the same bytes on every CPU |
| ``record_cuda`` | ``nnhw record-cuda``: store torch's CUDA results for graders without a GPU |
"""
