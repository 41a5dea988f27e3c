"""What graded tests import: the kit an assignment's ``tests/test_*.py`` is written with.

| module | its one job |
|---|---|
| ``strategies`` | hypothesis strategies: arrays, batches, probabilities, one-hot rows, networks |
| ``judge`` | ``judge(student, reference, "fn", *args, ...)``: the student-vs-reference(-vs-torch) property |
| ``experiment`` | the grader's lab: probes, the reference's answers and the bugs' predictions for a likely cause |
| ``catalogue`` | bugs no one listed (the reference with one change) and the probes that tell them apart |
| ``answers`` | one item of a tuple answer (``(out, cache)``), failing with the contract on anything else |
| ``randomness`` | random code: same seed same answer and another seed another, exact binomial rate bounds |
| ``gradcheck`` | central differences: hold a gradient to the numbers |
| ``data`` | the data files an assignment makes at build time, and reading them in tests |
| ``static`` | forbidden names in the student's source |
| ``cuda`` | the CUDA judge: torch's results live on a GPU, replayed from a recording elsewhere |
"""
