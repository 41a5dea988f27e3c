"""Grading many submissions: ``nnhw verify``'s and ``nnhw grade-batch``'s machinery.

| module | its one job |
|---|---|
| ``runner`` | grade submissions ``--jobs`` at a time through zygotes; a grader that fails is a result, not a crash |
| ``zygote`` | a process that imports torch, pytest and hypothesis once and forks a child per submission |
| ``grade_all`` | a batch into ``students/<key>/results.json``: skip what is graded, retry grader failures, stop when the assignment is broken |
| ``collect`` | find the submissions in a folder, zip or Gradescope export |
| ``gradebook`` | the CSV gradebook |
| ``report`` | the HTML report |
| ``folder`` | ``nnhw grade-batch`` on a folder: where each of the above writes |
"""
