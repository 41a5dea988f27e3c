# Cheating: writing results.json directly, editing run_autograder and the grader's sources,
# at import and again during a call; also leaving files in the shared temporary folders.
# tanh prints what worked and exits, so the test reads it in the feedback.
import json as _json

_TARGETS = {
    "results.json": "@@ROOT@@/results/results.json",
    "run_autograder": "@@ROOT@@/run_autograder",
    "source run_autograder": "@@ROOT@@/source/run_autograder",
    "grader.py": "@@ROOT@@/source/autograder/grading/grader.py",
    "tmp file": f"/tmp/nnhw-hostile-junk-{_h_os.getpid()}",
    "shm file": f"/dev/shm/nnhw-hostile-junk-{_h_os.getpid()}",
}
WROTE = []


def _attack():
    for what, path in _TARGETS.items():
        try:
            with open(path, "a") as fh:
                fh.write('\n{"score": 1000, "tests": []}\n')
            WROTE.append(what)
        except OSError:
            pass
    try:
        _h_os.makedirs(f"/tmp/nnhw-hostile-junkdir-{_h_os.getpid()}/deeper", exist_ok=True)
        WROTE.append("tmp folder")
    except OSError:
        pass


_attack()


def tanh(z):
    _attack()
    print("WROTE=" + _json.dumps(sorted(set(WROTE))), flush=True)
    _h_os._exit(7)
