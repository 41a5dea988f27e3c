"""Workers forked from the warm process (autograder/sandbox/warm.py) are workers like any other.

A forked worker skips the interpreter's start and the import of numpy and torch, and nothing else:
these tests hold it to what a worker started the plain way is (its uid, limits, environment, folder
and descriptors; how its death is reported; that closing it leaves nothing alive), and show that
grading through it gives the same results, and that a warm process that cannot serve only costs
the time it would have saved.
"""

import json
import os
import signal
import time

import pytest
from helpers import DETACH, call

from autograder.config import Limits
from autograder.course import Course
from autograder.sandbox import Worker, WorkerFailure, processes_of, warm

pytestmark = pytest.mark.needs_worker

AS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="workers are forked only when each gets a uid of its own (root)")

STUDENT = '''
import json, os, resource, subprocess, sys, time

def identity():
    limits = {name: resource.getrlimit(getattr(resource, name))[0]
              for name in ("RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_NOFILE", "RLIMIT_FSIZE")}
    return json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(),
                       "env": dict(os.environ), "path0": sys.path[0], "limits": limits, "sid": os.getsid(0) == os.getpid(),
                       "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
                       "modules": sorted(name for name in ("numpy", "torch") if name in sys.modules),
                       "no_new_privs": open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0]})

def read(path):
    with open(path) as fh:
        return fh.read()

def exit_with(code):
    os._exit(code)

def crash():
    os.kill(os.getpid(), 11)

def stop():
    os.kill(os.getpid(), 19)
''' + DETACH


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(STUDENT)
    return {"student.py": path}


@pytest.fixture
def warmed():
    """A warm process for this test alone (numpy only: torch is slow to import and adds nothing here)."""
    assert warm.current() is None
    assert warm.start(["numpy"])
    yield warm.current()
    warm.stop()


def identity(student, limits):
    worker = Worker(student, ["student"], limits)
    try:
        seen = json.loads(call(worker, "identity"))
        return worker, seen
    finally:
        worker.close()


@needs_root
def test_a_forked_worker_is_set_up_as_a_plain_one(student, warmed, monkeypatch):
    limits = Limits(memory_mb=900, cpu_s=77, max_open_files=99, max_file_mb=5)
    with monkeypatch.context() as plainly:
        plainly.setattr(warm, "_current", None)
        plain_worker, plain = identity(student, limits)
    worker, forked = identity(student, limits)
    assert isinstance(worker.proc, warm.ForkedProcess) and not isinstance(plain_worker.proc, warm.ForkedProcess)
    assert forked["uid"] == forked["gid"] == worker.uid and forked["groups"] == []
    assert forked["env"]["NNHW_WORKER_TOKEN"] == worker.token and forked["env"]["HOME"] == str(worker.root)
    assert forked["cwd"] == forked["path0"] == str(worker.root)
    assert forked["modules"] == ["numpy"]
    assert forked["fds"] == [0, 1, 2, 3, 4, 5]  # its channel, and the listing's own: nothing of the warm process
    assert len(plain["fds"]) == 6
    for seen in (plain, forked):  # everything but what is each worker's own
        for key in ("uid", "gid", "cwd", "path0", "fds"):
            seen.pop(key)
        seen["env"] = {k: v for k, v in seen["env"].items() if k not in ("NNHW_WORKER_TOKEN", "HOME", "TMPDIR")}
    assert forked == plain
    assert plain["limits"] == {"RLIMIT_DATA": 900 << 20, "RLIMIT_CPU": 77, "RLIMIT_NOFILE": 99,
                               "RLIMIT_FSIZE": 5 << 20}
    assert plain["sid"] and plain["no_new_privs"] == "1"


@needs_root
def test_a_forked_worker_is_confined_and_cannot_reach_the_warm_process(student, warmed):
    worker = Worker(student, ["student"], Limits())
    try:
        assert isinstance(worker.proc, warm.ForkedProcess)
        assert "uid drop" in worker.confinement
        reply, _ = worker.request({"op": "call", "target": "read"}, {"args": [str(warmed.folder / "_nnhw_warm.py")]})
        assert not reply["ok"] and reply["error"]["type"] == "PermissionError"
        with pytest.raises(PermissionError):  # root's, like the grader: the worker's uid cannot signal it
            _signal_as(worker.uid, warmed.process.pid)
    finally:
        worker.close()


def _signal_as(uid, pid):
    """Whether ``uid`` may signal ``pid``: raise what the kernel says (run in a child that became ``uid``)."""
    child = os.fork()
    if child == 0:
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(pid, 0)
            os._exit(0)
        except PermissionError:
            os._exit(13)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) == 13:
        raise PermissionError(f"uid {uid} may not signal {pid}")


@needs_root
@pytest.mark.parametrize("target, args, reason", [
    ("exit_with", [3], "exited with status 3"),
    ("crash", [], "crashed (a segmentation fault)"),
])
def test_how_a_forked_worker_died_is_reported(student, warmed, target, args, reason):
    worker = Worker(student, ["student"], Limits())
    assert isinstance(worker.proc, warm.ForkedProcess)
    with pytest.raises(WorkerFailure, match=reason.replace("(", r"\(").replace(")", r"\)")):
        worker.request({"op": "call", "target": target}, {"args": args})
    assert worker.closed


@needs_root
def test_a_stopped_forked_worker_times_out_and_leaves_nothing(student, warmed):
    worker = Worker(student, ["student"], Limits(call_timeout_s=1))
    call(worker, "detach")  # a grandchild in a session of its own
    assert len(processes_of(uid=worker.uid)) == 2
    with pytest.raises(WorkerFailure, match="timed out after 1 s"):
        worker.request({"op": "call", "target": "stop"}, {"args": []})
    assert processes_of(uid=worker.uid) == []
    deadline = time.monotonic() + 5
    while _children_of(warmed.process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # the warm process reaps its children within REAP_S
    assert _children_of(warmed.process.pid) == []


def _children_of(pid):
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found


@needs_root
def test_a_warm_process_that_is_gone_costs_nothing_but_time(student, warmed):
    os.kill(warmed.process.pid, signal.SIGKILL)
    warmed.process.wait()
    worker = Worker(student, ["student"], Limits())
    try:
        assert not isinstance(worker.proc, warm.ForkedProcess)  # started the plain way
        assert json.loads(call(worker, "identity"))["uid"] == worker.uid
        assert warm.current() is None
    finally:
        worker.close()


@needs_root
def test_a_worker_outlives_its_warm_process(student, warmed):
    """If the warm process is killed while its worker grades, the worker is watched through its pidfd:
    its calls go on, and closing it still leaves nothing."""
    worker = Worker(student, ["student"], Limits(call_timeout_s=2))
    assert isinstance(worker.proc, warm.ForkedProcess)
    os.kill(warmed.process.pid, signal.SIGKILL)
    warmed.process.wait()
    time.sleep(0.5)  # several of the grader's polls of a live worker
    assert json.loads(call(worker, "identity"))["uid"] == worker.uid and worker.proc.poll() is None
    with pytest.raises(WorkerFailure, match="crashed"):
        worker.request({"op": "call", "target": "exit_with"}, {"args": [3]})  # no one left to say it was 3
    assert processes_of(uid=worker.uid) == []


@needs_root
def test_an_answer_meant_for_a_killed_grader_is_not_taken(student, warmed):
    """A grader killed between its request and the answer leaves that answer on the socket; the next
    grader skips it (and closes the descriptor it carried) rather than talk to another's worker."""
    import socket

    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    r3, w3 = os.pipe()
    r4, w4 = os.pipe()
    orphan = {"id": "killed-grader", "root": "/", "script": "/nonexistent", "env": {}, "limits": {}, "uid": None}
    socket.send_fds(warmed.control, [json.dumps(orphan).encode()], [r1, w2, w3, w4])
    for fd in (r1, w1, r2, w2, r3, w3, w4):
        os.close(fd)
    worker = Worker(student, ["student"], Limits())
    try:
        assert isinstance(worker.proc, warm.ForkedProcess)
        assert json.loads(call(worker, "identity"))["uid"] == worker.uid
    finally:
        worker.close()
    os.close(r4)


def test_no_warm_process_without_a_uid_of_its_own(monkeypatch):
    """As the grading user, workers are found by the token the kernel recorded at exec: a forked one has
    none, so every worker starts the plain way."""
    monkeypatch.setenv("NNHW_NO_PRIVILEGE_DROP", "1")
    assert not warm.start(["numpy"]) and warm.current() is None


def test_the_warm_process_never_holds_a_package_the_worker_blocks():
    from autograder.batch.zygote import worker_preload

    course = Course.find()
    assert "torch" in course.assignment("a2_backprop").config.forbidden.block_imports
    assert worker_preload(course.assignment("a2_backprop")) == ["numpy"]
    assert worker_preload(course.assignment("a3_cnn")) == ["numpy", "torch"]  # gpu_conv.py imports it
    assert worker_preload(course.assignment("a1_forward")) == ["numpy"]  # torch judges in the grader only
    assert worker_preload(course.assignment("a4_pytorch")) == ["numpy", "torch", "torch._dynamo"]  # it trains
