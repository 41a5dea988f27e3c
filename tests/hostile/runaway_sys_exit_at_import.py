# Runaway: sys.exit at import time.
import sys as _sys

_sys.exit("bye")
