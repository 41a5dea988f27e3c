"""Where the student's code runs: the untrusted side of grading, and everything that keeps it in.

| module | its one job |
|---|---|
| ``worker`` | start the worker process with its limits, talk to it over its channel, close it |
| ``worker_main`` | the worker's own script (copied into its private folder, never imported here) |
| ``confine`` | Landlock: the worker shuts itself into its installation and its private folder |
| ``processes`` | find the worker's processes in /proc and kill them all; sweep the files its uid left |
| ``uids`` | lease a worker uid of its own when the grader is root |
| ``restrict`` | a new worker's limits and uid drop, however it starts (standalone) |
| ``warm`` | fork workers from a warm process that imported numpy and torch once (``warm_main``) |
| ``replies`` | check what the worker sent before anyone uses it; rebuild tensors |
"""

from autograder.sandbox.processes import TOKEN_VARIABLE, kill_all, processes_of
from autograder.sandbox.replies import make_tensor
from autograder.sandbox.uids import WorkerSetupError
from autograder.sandbox.worker import Worker, WorkerFailure, close_all_workers, unconfined_warning

__all__ = ["TOKEN_VARIABLE", "Worker", "WorkerFailure", "WorkerSetupError", "close_all_workers", "kill_all",
           "make_tensor", "processes_of", "unconfined_warning"]
