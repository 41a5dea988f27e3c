"""Grading one submission: the same path for ``nnhw grade``, Gradescope's ``run_autograder``, verify and batches.

| module | its one job |
|---|---|
| ``grader`` | one submission end to end; ``grade_safely`` always returns valid results |
| ``plugin`` | the pytest plugin: fixtures ``student``, ``reference``, ...; grading settings; outcomes |
| ``student`` | ``Session`` (a restartable worker, sticky failures) and the ``student`` proxy tests call |
| ``submission`` | find the configured files in an upload (folder, zip, one file, nested folders) |
| ``results`` | results.json: assemble, validate against the schema, write atomically |
| ``extra`` | results.json's ``extra_data``, each key named once |
| ``replay`` | the solution's examples, recorded and replayed for other submissions |
| ``versions`` | the package versions a grade was computed with, against the lock |
| ``gradescope`` | ``run_autograder``'s entry point (``$AUTOGRADER_ROOT``) |
"""
