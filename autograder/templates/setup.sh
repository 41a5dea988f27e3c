#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network available).
# It installs the nnhw engine and its dependencies into the system Python (3.10 on Ubuntu 22.04).
set -euo pipefail
umask 022   # what pip installs must be readable by the unprivileged uid the student's code runs as
cd "$(dirname "$0")"

PYTHON="${NNHW_PYTHON:-python3}"

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3-pip
fi
# The lock's runtime pins, exactly: the versions that decide a grade are the ones verify passed
# with. Torch comes from PyTorch's CPU index first (about 200 MB; the default build from PyPI
# carries CUDA, several GB, that a machine without a GPU cannot use), else the default index.
"$PYTHON" autograder/lockinstall.py requirements.lock --group runtime@NO_TORCH@
"$PYTHON" -m pip install --no-cache-dir --no-deps .
# The grader keeps its sources private: the student's worker runs under another uid.
chmod -R go-rwx "$(pwd)"
# Fail the image build now, not every submission later, if that uid cannot run the interpreter.
"$PYTHON" - <<'CHECK'
import subprocess, sys
try:
    subprocess.run([sys.executable, "-I", "-c", "import numpy"], user=65534, group=65534, extra_groups=[],
                   cwd="/", check=True, timeout=120)
except Exception as exc:
    sys.exit(f"setup.sh: an unprivileged user cannot run {sys.executable} with numpy ({exc}); "
             "the graded code runs as one, so the interpreter and its packages must be world-readable")
CHECK
