# --- hostile-test prelude: every student process records itself (pid, real uid, worker token) ---
import os as _h_os


def _h_beacon(tag=""):
    try:
        with open("@@BEACON@@/" + str(_h_os.getpid()), "a") as _fh:
            _fh.write(f"{_h_os.getuid()} {_h_os.environ.get('NNHW_WORKER_TOKEN', '-')} {tag}\n")
    except OSError:
        pass


_h_beacon("import")
# --- end of prelude ---
