#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network available).
# It installs the nnhw engine and its dependencies into the system Python (3.10 on Ubuntu 22.04).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${NNHW_PYTHON:-python3}"
# The CPU build of torch (about 200 MB): the default build from PyPI carries CUDA (several GB)
# that a Gradescope machine, which has no GPU, cannot use. NNHW_TORCH_INDEX overrides the index.
TORCH_INDEX="${NNHW_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

install_torch() {
    "$PYTHON" -m pip install --no-cache-dir --index-url "$TORCH_INDEX" "torch>=2.1"
}

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3-pip
fi
@INSTALL_TORCH@
"$PYTHON" -m pip install --no-cache-dir .
# The grader keeps its sources private: the student's worker runs under another uid.
chmod -R go-rwx "$(pwd)"
