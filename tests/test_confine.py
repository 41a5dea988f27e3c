"""Landlock confinement (autograder/sandbox/confine.py), one rule at a time.

Each test runs a small program that confines itself exactly as the worker does (its Python
installation and the system bits for reading, one private folder for writing) and then tries one
thing; the test checks what was allowed and what was refused. Root is confined as much as anyone:
Landlock does not care about uids, so these tests mean the same as root and as an ordinary user
(the last ones run as uid 65534 to show it). The worker itself, the bundle and ``nnhw grade`` as
an ordinary user are tested in tests/test_hostile.py.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from helpers import call

from autograder.sandbox import confine

pytestmark = pytest.mark.needs_worker  # grades (or confines) through a real worker

ABI, WHY_NOT = confine.probe()
needs_landlock = pytest.mark.skipif(not ABI, reason=f"no Landlock here: {WHY_NOT}")
needs_abi = {n: pytest.mark.skipif(ABI < n, reason=f"needs Landlock ABI {n}, this kernel has {ABI}") for n in (4, 6)}
AS_ROOT = os.geteuid() == 0
NOBODY = 65534

PROGRAM = '''
import json, os, sys
sys.path.insert(0, {sandbox!r})
import confine
outcome = {{"confinement": confine.confine_worker({folder!r})}}
def attempt(what, action):
    try:
        result = action()
        outcome[what] = "allowed" if result is None else result
    except OSError as exc:
        outcome[what] = type(exc).__name__
{body}
print(json.dumps(outcome))
'''


def run_confined(folder, body, user=None, timeout=300):
    """Run ``body`` (statements calling ``attempt(what, action)``) confined to ``folder``; its outcomes."""
    source = PROGRAM.format(sandbox=str(confine.__file__).rsplit("/", 1)[0], folder=str(folder),
                            body=textwrap.dedent(body))
    done = subprocess.run([sys.executable, "-I", "-c", source], capture_output=True, text=True, timeout=timeout,
                          cwd=folder, user=user, group=user, extra_groups=[] if user is not None else None)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def places():
    """A private folder, and a world-readable secret next to it (another student's work, a checkout),
    in a folder anyone may traverse (pytest's own tmp_path is root's alone)."""
    tmp_path = Path(tempfile.mkdtemp(prefix="nnhw-confine-"))
    tmp_path.chmod(0o755)
    private = tmp_path / "private"
    private.mkdir(mode=0o777)
    private.chmod(0o777)
    secret = tmp_path / "course" / "solutions" / "forward.py"
    secret.parent.mkdir(parents=True)
    secret.write_text("def sigmoid(z): return 'the answer'\n")
    for path in (tmp_path / "course", secret.parent):
        path.chmod(0o755)
    secret.chmod(0o644)
    yield private, secret
    shutil.rmtree(tmp_path, ignore_errors=True)


@needs_landlock
def test_the_python_installation_stays_usable(places):
    """Imports after confinement (stdlib, numpy, torch) work: the worker can still do its job."""
    private, _ = places
    outcome = run_confined(private, '''
        attempt("stdlib", lambda: __import__("decimal") and None)
        attempt("numpy", lambda: float(__import__("numpy").linalg.inv(__import__("numpy").eye(3)).sum()))
        attempt("torch", lambda: float(__import__("torch").ones(3).sum()))
        attempt("own process", lambda: len(open("/proc/self/status").read()) > 0)
        attempt("urandom", lambda: len(open("/dev/urandom", "rb").read(4)))
        attempt("devnull", lambda: open("/dev/null", "w").write("x") and None)
    ''')
    assert outcome == {"confinement": f"landlock ABI {ABI}", "stdlib": "allowed", "numpy": 3.0, "torch": 3.0,
                       "own process": True, "urandom": 4, "devnull": "allowed"}


@needs_landlock
def test_the_private_folder_is_read_write(places):
    private, _ = places
    outcome = run_confined(private, '''
        attempt("write", lambda: open("mine.txt", "w").write("hello") and None)
        attempt("read", lambda: open("mine.txt").read())
        attempt("mkdir", lambda: os.makedirs("sub/deeper"))
        attempt("rename", lambda: os.rename("mine.txt", "sub/mine.txt"))
        attempt("remove", lambda: os.remove("sub/mine.txt"))
    ''')
    assert {k: v for k, v in outcome.items() if k != "confinement"} == \
        {"write": "allowed", "read": "hello", "mkdir": "allowed", "rename": "allowed", "remove": "allowed"}


@needs_landlock
def test_files_outside_cannot_be_read_listed_or_written(places):
    """World-readable or not, nothing outside the private folder and the installation is in reach."""
    private, secret = places
    outcome = run_confined(private, f'''
        attempt("read secret", lambda: open({str(secret)!r}).read())
        attempt("list its folder", lambda: os.listdir({str(secret.parent)!r}))
        attempt("list the parent", lambda: os.listdir(".."))
        attempt("write next to it", lambda: open({str(secret.parent / "x.py")!r}, "w").close())
        attempt("write /tmp", lambda: open("/tmp/nnhw-confine-test-{os.getpid()}", "w").close())
        attempt("read /etc/passwd", lambda: open("/etc/passwd").read())
        attempt("read the home folder", lambda: os.listdir({os.path.expanduser("~")!r}))
    ''')
    assert not os.path.exists(f"/tmp/nnhw-confine-test-{os.getpid()}")
    assert {k: v for k, v in outcome.items() if k != "confinement"} == {
        "read secret": "PermissionError", "list its folder": "PermissionError", "list the parent": "PermissionError",
        "write next to it": "PermissionError", "write /tmp": "PermissionError",
        "read /etc/passwd": "PermissionError", "read the home folder": "PermissionError"}


@needs_landlock
def test_programs_outside_the_installation_cannot_run_and_children_stay_confined(places):
    """Its own interpreter runs (confined like its parent: a child cannot read the secret either);
    a shell, outside the Python installation, does not run at all."""
    private, secret = places
    outcome = run_confined(private, f'''
        import subprocess
        attempt("shell", lambda: subprocess.run(["/bin/sh", "-c", "true"]).returncode)
        attempt("child reads secret", lambda: subprocess.run([sys.executable, "-I", "-c",
                "open({str(secret)!r}).read()"], capture_output=True).returncode)
    ''')
    assert outcome["shell"] == "PermissionError"
    assert outcome["child reads secret"] == 1  # the child ran, and its open() failed


@needs_abi[4]
def test_no_tcp_connect_or_bind(places):
    private, _ = places
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        outcome = run_confined(private, f'''
            import socket
            attempt("connect", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5).close())
            attempt("bind", lambda: socket.socket().bind(("127.0.0.1", 0)))
        ''')
    assert outcome["connect"] == outcome["bind"] == "PermissionError"


@needs_abi[6]
def test_no_signals_or_abstract_sockets_outside_its_domain(places):
    """It cannot signal the grader (its parent) nor reach the grader's abstract UNIX sockets; it can
    still signal its own children."""
    private, _ = places
    name = f"\0nnhw-confine-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name)
        server.listen(1)
        outcome = run_confined(private, f'''
            import signal, socket, subprocess
            attempt("signal parent", lambda: os.kill(os.getppid(), 0))
            attempt("abstract socket", lambda: socket.socket(socket.AF_UNIX).connect({name!r}))
            child = subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(30)"])
            attempt("signal own child", lambda: os.kill(child.pid, signal.SIGKILL))
            child.wait()
        ''')
    assert outcome["signal parent"] == "PermissionError"
    assert outcome["abstract socket"] == "PermissionError"
    assert outcome["signal own child"] == "allowed"


@needs_landlock
def test_processes_outside_its_domain_cannot_be_inspected(places):
    """ptrace-class access to the grader (/proc/<pid>/environ, mem) is refused even for the same uid."""
    private, _ = places
    outcome = run_confined(private, '''
        attempt("environ", lambda: len(open(f"/proc/{os.getppid()}/environ", "rb").read()))
        attempt("mem", lambda: open(f"/proc/{os.getppid()}/mem", "rb").close())
    ''')
    assert outcome["environ"] == outcome["mem"] == "PermissionError"


@needs_landlock
@pytest.mark.skipif(not AS_ROOT, reason="switching to another uid needs root")
def test_the_same_rules_hold_for_an_ordinary_user(places):
    """As uid 65534 (no uid drop, no root lock-down): the world-readable secret is still out of reach."""
    private, secret = places
    outcome = run_confined(private, f'''
        attempt("read secret", lambda: open({str(secret)!r}).read())
        attempt("write", lambda: open("mine.txt", "w").write("hello"))
        attempt("numpy", lambda: float(__import__("numpy").ones(2).sum()))
    ''', user=NOBODY)
    assert {k: v for k, v in outcome.items() if k != "confinement"} == \
        {"read secret": "PermissionError", "write": 5, "numpy": 2.0}
    # and without confinement that user could read it: the rule, not the permissions, keeps it out
    done = subprocess.run([sys.executable, "-I", "-c", f"print(open({str(secret)!r}).read())"], user=NOBODY,
                          group=NOBODY, extra_groups=[], capture_output=True, text=True, cwd="/")
    assert "the answer" in done.stdout


def test_probe_says_why_there_is_none():
    """Where the kernel offers no Landlock the reason is a sentence an instructor can act on."""
    abi, why_not = confine.probe()
    assert (abi >= 1 and why_not == "") or (abi == 0 and why_not)


def test_the_installation_is_the_interpreters_not_the_whole_system():
    paths = confine.python_installation()
    assert os.path.realpath(sys.executable) in paths
    assert not {"/", "/usr", "/usr/local"} & set(paths)
    assert any(os.path.isfile(os.path.join(p, "os.py")) for p in paths)  # the stdlib



# -- the worker: what it reports, and torch as the grader has it ----------------------------------------
WORKER_FILE = '''
def tf32(load_torch_here):
    if load_torch_here:
        import torch
    import sys
    torch = sys.modules["torch"]
    return [torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32]
'''


def _worker(tmp_path, poison=None):
    from autograder.config import Limits
    from autograder.sandbox import Worker

    path = tmp_path / "student.py"
    path.write_text(WORKER_FILE)
    return Worker({"student.py": path}, ["student"], Limits(), poison)


@pytest.mark.parametrize("no_landlock", [False, True])
@pytest.mark.parametrize("no_uid_drop", [False, True])
def test_the_worker_reports_the_confinement_in_force(tmp_path, monkeypatch, no_landlock, no_uid_drop):
    if no_landlock:
        monkeypatch.setenv("NNHW_NO_LANDLOCK", "1")
    if no_uid_drop:
        monkeypatch.setenv("NNHW_NO_PRIVILEGE_DROP", "1")
    parts = ([f"landlock ABI {ABI}"] if ABI and not no_landlock else []) + \
        (["uid drop"] if AS_ROOT and not no_uid_drop else [])
    worker = _worker(tmp_path)
    try:
        assert worker.confinement == (" + ".join(parts) or "none")
    finally:
        worker.close()


def test_an_ordinary_user_without_confinement_is_warned(monkeypatch):
    from autograder.sandbox import unconfined_warning

    monkeypatch.setenv("NNHW_NO_PRIVILEGE_DROP", "1")  # as an ordinary user would be
    assert (unconfined_warning() is None) == bool(ABI)
    monkeypatch.setenv("NNHW_NO_LANDLOCK", "1")
    assert "unconfined" in unconfined_warning() and "NNHW_NO_LANDLOCK" in unconfined_warning()
    monkeypatch.delenv("NNHW_NO_PRIVILEGE_DROP")
    assert (unconfined_warning() is None) == AS_ROOT  # root drops to a uid of its own


@pytest.mark.parametrize("torch_loaded_by", ["the student", "the poison"])
def test_tf32_is_off_in_the_worker(tmp_path, torch_loaded_by):
    """Whether the student's code imports torch or the worker did (to poison it), TF32 is off, as in the
    grader: cuDNN's own default is on, so this is the worker's doing."""
    pytest.importorskip("torch")
    default = subprocess.run([sys.executable, "-I", "-c", "import torch; print(torch.backends.cudnn.allow_tf32)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert default == "True"  # torch's own default: what the worker must change
    poison = {"attributes": ["torch.conv_tbc"], "reason": "test"} if torch_loaded_by == "the poison" else None
    worker = _worker(tmp_path, poison)
    try:
        assert call(worker, "tf32", torch_loaded_by == "the student") == [False, False]
    finally:
        worker.close()


# -- where Landlock is refused: grading goes on, and says so ----------------------------------------
REFUSING_CONTAINER = '''
import ctypes, json, os, sys, tempfile
# a seccomp filter that answers EPERM to landlock_create_ruleset (444), as some containers' do
class Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]
rules = (Filter * 4)(Filter(0x20, 0, 0, 0), Filter(0x15, 0, 1, 444), Filter(0x06, 0, 0, 0x00050000 | 1),
                     Filter(0x06, 0, 0, 0x7fff0000))
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # no new privileges, as unprivileged seccomp requires
assert libc.prctl(22, 2, ctypes.byref(Program(4, rules)), 0, 0) == 0, ctypes.get_errno()
from autograder.config import Limits
from autograder.sandbox import Worker, confine, unconfined_warning
folder = tempfile.mkdtemp()
os.chmod(folder, 0o755)
with open(os.path.join(folder, "student.py"), "w") as fh:
    fh.write("def f():\\n    return open('/etc/passwd').read() is not None\\n")
worker = Worker({"student.py": os.path.join(folder, "student.py")}, ["student"], Limits())
reply, answer = worker.request({"op": "call", "target": "f"}, {"args": []})
print(json.dumps({"probe": confine.probe(), "confinement": worker.confinement, "why": worker.confinement_problem,
                  "answer": answer["result"], "warning": unconfined_warning()}))
worker.close()
'''


def test_where_a_seccomp_filter_refuses_landlock_grading_goes_on_and_says_so():
    """Inside a 'container' whose seccomp filter refuses Landlock, the worker still starts and answers, reports
    no confinement and why, and an ordinary user is warned."""
    env = {**os.environ, "NNHW_NO_PRIVILEGE_DROP": "1"}  # as an ordinary user: nothing else confines it
    env.pop("NNHW_NO_LANDLOCK", None)
    done = subprocess.run([sys.executable, "-c", REFUSING_CONTAINER], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["probe"] == [0, "a seccomp filter (e.g. a container's) refuses Landlock"]
    assert outcome["confinement"] == "none" and "seccomp" in outcome["why"]
    assert outcome["answer"] is True  # unconfined: it could read a file outside its folder
    assert "unconfined" in outcome["warning"] and "seccomp" in outcome["warning"]
