"""A worker's whole environment, the same for a worker started afresh and one forked from the warm process."""

import os

from autograder.sandbox.processes import TOKEN_VARIABLE


def worker_env(home, token):
    """A worker's whole environment: nothing of the grader's but the CPU and GPU settings below."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home),
        "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", TOKEN_VARIABLE: token,
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env
