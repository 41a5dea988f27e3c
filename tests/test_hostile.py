"""Hostile and broken submissions, graded through the Gradescope bundle as Gradescope would (as root).

Every submission is an assignment's reference solution with one function replaced or code added
(snippets in tests/hostile/), or the reference laid out in an awkward way. For each one the test
checks the same things (:func:`check_run`):

- results.json is valid, written by the grader (root) after every student process was gone, and
  stays as written; the score never exceeds the maximum;
- the affected function's tests fail with a message a student understands, the other tests pass;
- grading time stays bounded (an endless loop costs one timeout, not the run);
- no student process survives: each records its pid, uid and worker token in a beacon folder, and
  afterwards none of them may be alive, and their last sign of life predates results.json;
- nothing from the student reaches the grader except data.

The fake container lies in a folder everyone may traverse (unlike pytest's tmp_path), so what keeps
the student's code out of the sources and results is the grader's own lock-down. Per-call timeouts
and example counts are lowered in the container's copy of assignment.toml.

To keep CI time down, the selected cases are graded concurrently (``NNHW_HOSTILE_JOBS`` at a time,
default: the number of CPUs, at least 2) by one session fixture, once per test session whichever xdist
worker asks first; each test then inspects its run. Concurrent graders on one machine also show that their
workers get distinct uids.
See docs/security.md for the threat model these tests pin down.
"""

import ctypes
import json
import os
import re
import shutil
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from fake_gradescope import make_container, run_autograder
from helpers import DETACH
from once_per_session import once, remove_at_end

from autograder import sandbox
from autograder.config import Limits
from autograder.course import Course
from autograder.grading.results import validate
from autograder.sandbox import confine

pytestmark = pytest.mark.needs_torch  # grades, or builds, an assignment (the grader imports torch)

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
REFERENCE = {"a1_forward": ROOT / "solutions/a1_forward/forward.py",
             "a2_backprop": ROOT / "solutions/a2_backprop/backprop.py",
             "a3_cnn": ROOT / "solutions/a3_cnn/gpu_conv.py"}
FILE = {"a1_forward": "forward.py", "a2_backprop": "backprop.py", "a3_cnn": "gpu_conv.py"}
#: the assignment's other files, submitted as the reference has them
OTHER_FILES = {"a3_cnn": {"cnn.py": ROOT / "solutions/a3_cnn/cnn.py"}}
CALL_TIMEOUT_S, STARTUP_TIMEOUT_S, MAX_EXAMPLES = 2, 15, 5
JOBS = int(os.environ.get("NNHW_HOSTILE_JOBS") or max(2, os.cpu_count() or 2))

AS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="needs root, as on Gradescope")
LANDLOCK_ABI = confine.probe()[0]
NOBODY = 65534  # the ordinary user of the tests that grade without root
CLONE_NEWNET = 0x40000000  # unshare(2): a network namespace of one's own

GRADING_FIXTURES = {"graded", "graded_as_user"}  # grade the cases through bundles (conftest marks their users e2e)


# -- the cases: name -> how to build and grade a submission; tests name the case they inspect -------------
CASES = {}
CASE_OF = {}  # test node name -> case name, where it is not the test's own name (several tests, one run)


def case(name, assignment, files, limits=None, max_examples=MAX_EXAMPLES, after_layout=None, tests=(), env=None):
    CASES[name] = dict(assignment=assignment, files=files, limits=limits or {}, max_examples=max_examples,
                       after_layout=after_layout, env=env or {})
    CASE_OF.update({test: name for test in tests})


def hostile(assignment, *snippets, replace=()):
    """The reference solution with the prelude first and ``snippets`` appended (their defs win)."""

    def build():
        source = REFERENCE[assignment].read_text()
        for old, new in replace:
            assert old in source, old
            source = source.replace(old, new)
        parts = [(HOSTILE / "prelude.py").read_text(), source] + [(HOSTILE / f"{s}.py").read_text() for s in snippets]
        others = {name: path.read_text() for name, path in OTHER_FILES.get(assignment, {}).items()}
        return {**others, FILE[assignment]: "\n\n".join(parts)}

    return build


def a1(*snippets, **options):
    return hostile("a1_forward", *snippets, **options)


def only(*snippets):
    """A forward.py of the prelude and ``snippets`` alone: none of the reference's code."""
    return lambda: {"forward.py": "\n\n".join((HOSTILE / f"{s}.py").read_text() for s in ("prelude", *snippets))}


def expected_confinement(env, root=True):
    parts = [f"landlock ABI {LANDLOCK_ABI}"] if LANDLOCK_ABI and env.get("NNHW_NO_LANDLOCK") != "1" else []
    return " + ".join(parts + (["uid drop"] if root else [])) or "none"


def fill_placeholders(text, root, beacon, port, ssh_key):
    return (text.replace("@@ROOT@@", str(root)).replace("@@REPO@@", str(ROOT)).replace("@@BEACON@@", str(beacon))
            .replace("@@PORT@@", str(port)).replace("@@SSH_KEY@@", str(ssh_key)))


def write_upload(upload, files, fill):
    for relative, content in files.items():
        path = upload / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):  # a zip: {entry name: text}
            with zipfile.ZipFile(path, "w") as zf:
                for entry, text in content.items():
                    zf.writestr(entry, fill(text))
        else:
            path.write_bytes(fill(content).encode())


def plant_ssh_key(home, owner):
    """A careless user's private key (world-readable, as keys copied around often are)."""
    key = home / ".ssh" / "id_ed25519"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n")
    for path in (home, key.parent, key):
        os.chown(path, owner, owner)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return key


# -- grading them ------------------------------------------------------------------------------------------
class _Feedback:
    """What a graded run's tests said, by function."""

    def tests_of(self, function):
        return [t for t in self.results["tests"] if t["name"].split(":")[0] == function]

    def output_of(self, function):
        return "\n---\n".join(t["output"] for t in self.tests_of(function))


@dataclass
class Graded(_Feedback):
    name: str
    base: Path
    root: Path
    results: dict
    seconds: float
    process: subprocess.CompletedProcess
    started: float
    finished: float
    env: dict
    connections: int  # that reached the case's own listening port while it was graded

    @property
    def beacon(self):
        return self.base / "beacon"


def _set(text, key, value):
    return re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)


def _listener():
    """A TCP port on 127.0.0.1 that student code may try to reach (network isolation)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    return server


def _connections(server):
    """How many connections reached ``server`` so far (each accepted and closed)."""
    count = 0
    while True:
        try:
            server.accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


def _new_base(config, prefix):
    """A container's folder in /tmp, removed when the whole test session ends (another xdist worker may
    inspect it after this one is done)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    remove_at_end(config, base)
    base.chmod(0o755)  # traversable by anyone: only the grader's lock-down protects the container
    return base


def _grade_one(config, name, spec, bundle_dir):
    base = _new_base(config, "nnhw-hostile-")
    beacon = base / "beacon"
    beacon.mkdir()
    beacon.chmod(0o1777)
    root = base / "autograder"
    upload = base / "upload"
    upload.mkdir()

    ssh_key = plant_ssh_key(base / "home", 0)
    with _listener() as server:  # the case's own: what reaches it came from this submission
        port = server.getsockname()[1]
        write_upload(upload, spec["files"](), lambda text: fill_placeholders(text, root, beacon, port, ssh_key))
        assert make_container(base, bundle_dir / f"{spec['assignment']}-autograder.zip", upload) == root
        toml = root / "source" / "assignments" / spec["assignment"] / "assignment.toml"
        text = toml.read_text()
        limits = {"call_timeout_s": CALL_TIMEOUT_S, "startup_timeout_s": STARTUP_TIMEOUT_S, **spec["limits"]}
        for key, value in limits.items():
            text = _set(text, key, value)
        toml.write_text(re.sub(r"(?m)^max_examples = \d+", f"max_examples = {spec['max_examples']}", text))
        if spec["after_layout"] is not None:
            spec["after_layout"](root)
        started = time.monotonic()
        # the beacon is the tests' own instrument: the confined worker may write there
        env = {"NNHW_WORKER_ALSO_WRITABLE": str(beacon), **spec["env"]}
        results, seconds, process = run_autograder(root, timeout=600, extra_env=env)
        return Graded(name, base, root, results, seconds, process, started, time.monotonic(), env, _connections(server))


@pytest.fixture(scope="session")  # once per xdist worker, even if pytest leaves this module and comes back
def course_copy():
    """A world-readable copy of the course (solutions included) elsewhere on the machine, as an instructor's
    checkout in /tmp or /opt would be: what a stealing submission looks for."""
    folder = Path(tempfile.mkdtemp(prefix="nnhw-course-copy-"))
    for part in ("solutions", "assignments"):
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _outcomes(futures):
    """``{name: result, or an Exception with the failure's traceback}``: the same in the worker that graded
    and, unpickled, in the others (an exception of any class may not survive pickling; its text does)."""
    done = {}
    for name, future in futures.items():
        try:
            done[name] = future.result()
        except Exception as exc:  # noqa: BLE001 - reported by the test that wanted it
            done[name] = Exception(f"grading {name} failed:\n{''.join(traceback.format_exception(exc))}")
    return done


@pytest.fixture(scope="session")
def graded(request):
    """Every selected case, graded concurrently: ``{case name: Graded or the exception}``.

    Once per test session: the first xdist worker to get here grades them all, JOBS at a time, while any
    other waits on one lock and then reads its results. One lock, not one per case: grading keeps every core
    busy already, so two workers grading at once (2 x JOBS graders) would finish no sooner, only make each
    run slower and noisier against its timeouts; and every case is compared with a baseline graded in the
    same batch, under the same load (check_run), and overlaps the others (distinct worker uids)."""
    if not AS_ROOT:
        pytest.skip("needs root, as on Gradescope")
    return once(request.config, "hostile-graded", lambda: _grade_all(request))


def _grade_all(request):
    bundle_dir = request.getfixturevalue("bundle_dir")
    request.getfixturevalue("course_copy")  # what the stealing cases look for while they are graded
    module = sys.modules[__name__]
    selected = {item.name for item in request.session.items if getattr(item, "module", None) is module}
    wanted = {CASE_OF.get(name, name) for name in selected} & set(CASES)
    wanted.add("baseline")
    specs = {name: CASES[name] for name in wanted}
    specs = {n: s for n, s in specs.items() if (bundle_dir / f"{s['assignment']}-autograder.zip").exists()}
    slow_first = sorted(specs, key=lambda n: (specs[n]["assignment"] == "a1_forward", n))
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {name: pool.submit(_grade_one, request.config, name, specs[name], bundle_dir) for name in slow_first}
    done = _outcomes(futures)
    for name, result in sorted(done.items(), key=lambda item: -getattr(item[1], "seconds", 0)):
        print(f"{getattr(result, 'seconds', float('nan')):6.1f} s  {name}")  # shown with -s
    return done


def _take(graded, name):
    run = graded.get(name)
    if run is None:
        pytest.skip(f"{name}: its assignment's bundle was not built")
    if isinstance(run, Exception):
        raise run
    return run


@pytest.fixture
def run(graded, request):
    return _take(graded, CASE_OF.get(request.node.name, request.node.name))


@pytest.fixture
def baseline(graded):
    """The reference solution graded with the same settings: full marks, and how long a clean run takes."""
    base = _take(graded, "baseline")
    assert base.results["score"] == sum(t["max_score"] for t in base.results["tests"]) > 0
    # all cases are graded at once (and beside other tests): a clean run's time under that load is the
    # baseline's own or, if the load grew after it finished, the typical case's
    base.clean_seconds = max(base.seconds, statistics.median(r.seconds for r in graded.values() if isinstance(r, Graded)))
    return base


case("baseline", "a1_forward", a1())


# -- what every run must show ------------------------------------------------------------------------------
def _status(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.split(":", 1) for line in fh.read().splitlines() if ":" in line)
    except OSError:
        return None


def _environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def beacons(run):
    """``[(pid, uid, token, tag)]``: what every student process wrote about itself."""
    found = []
    for path in run.beacon.iterdir():
        if path.name.isdigit():
            for line in path.read_text().splitlines():
                uid, token, tag = (line.split(" ", 2) + ["", ""])[:3]
                found.append((int(path.name), int(uid), token, tag))
    return found


def tagged(run, tag):
    return [b for b in beacons(run) if b[3] == tag]


def survivors(run):
    """Live processes that are the student's: a beacon's pid, or its uid with its worker token."""
    seen = beacons(run)
    pids, uids = {b[0] for b in seen}, {b[1] for b in seen}
    tokens = {f"{sandbox.TOKEN_VARIABLE}={b[2]}".encode() for b in seen if b[2] != "-"}
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _status(entry)
        if not fields or fields.get("State", "").strip()[:1] in ("Z", "X"):
            continue
        uid = int(fields["Uid"].split()[0])
        if uid in uids and (int(entry) in pids or tokens & set(_environ(entry).split(b"\0"))):
            alive.append((int(entry), uid, fields.get("Name", "").strip()))
    return alive


def check_run(run, baseline, failing=None, everything=None, extra_seconds=0.0, student_ran=True):
    """The common checks. ``failing`` maps a function to a regex its tests' feedback must match;
    ``everything`` is a regex every test's feedback must match (the whole file failed)."""
    results = run.results
    assert run.process.returncode == 0, run.process.stderr[-3000:]
    assert validate(results) == [], validate(results)
    assert "nnhw: score" in run.process.stdout, run.process.stdout[-2000:]
    maximum = sum(t["max_score"] for t in results["tests"])
    assert 0 <= results["score"] <= maximum
    assert results["score"] == pytest.approx(min(sum(t["score"] for t in results["tests"]), maximum))
    out = run.root / "results" / "results.json"
    info = out.stat()
    assert info.st_uid == 0 and json.loads(out.read_text()) == results, "results.json is not the grader's"
    # no student process survives; the last thing any of them did predates results.json, which stays put
    seen = beacons(run)
    if student_ran:
        assert seen, "the student's code never ran (bad test setup?)"
        assert results["extra_data"]["confinement"] == expected_confinement(run.env)
    assert all(uid not in (0, os.getuid()) for _, uid, _, _ in seen), "student code ran as root"
    assert survivors(run) == []
    last_sign = max((p.stat().st_mtime_ns for p in run.beacon.iterdir()), default=0)
    assert last_sign <= info.st_mtime_ns
    assert out.stat().st_mtime_ns == info.st_mtime_ns
    assert not (run.beacon / "PWNED").exists()
    # per test: the affected function fails with the expected feedback, every other test passes
    failing = failing or {}
    for test in results["tests"]:
        if test["max_score"] == 0:  # not graded here (e.g. CUDA cases without recordings): no points either way
            continue
        function = test["name"].split(":")[0]
        pattern = everything or failing.get(function)
        if pattern is None:
            assert test["status"] == "passed" and test["score"] == test["max_score"], (test["name"], test["output"])
        else:
            assert test["status"] == "failed" and test["score"] == 0, (test["name"], test["output"])
            assert re.search(pattern, test["output"], re.S), (test["name"], test["output"])
    for function in failing:
        assert run.tests_of(function), f"no test is named after {function}"
    # time: loose (machines under load), the beacon counts in the tests are the precise evidence
    assert run.seconds < 2 * baseline.clean_seconds + extra_seconds + 30, (run.seconds, baseline.clean_seconds)
    return results


def test_concurrent_graders_use_distinct_worker_uids(graded):
    runs = [r for r in graded.values() if isinstance(r, Graded)]
    overlapping = 0
    for i, first in enumerate(runs):
        for second in runs[i + 1:]:
            if first.started < second.finished and second.started < first.finished:
                overlapping += 1
                assert not {b[1] for b in beacons(first)} & {b[1] for b in beacons(second)}, (first.name, second.name)
    if JOBS > 1 and len(runs) > 2:
        assert overlapping > 0


# -- broken ----------------------------------------------------------------------------------------------
case("test_syntax_error", "a1_forward", a1(replace=[("def relu(z):", "def relu(z)")]))


def test_syntax_error(run, baseline):
    check_run(run, baseline, everything=r"forward\.py could not be imported.*line \d+.*SyntaxError",
              student_ran=False)


def _drop_cross_entropy(source):
    return source[:source.index("def cross_entropy(")]


case("test_missing_and_misspelt_functions", "a1_forward",
     lambda: {"forward.py": _drop_cross_entropy(a1(replace=[("def mse_loss(", "def mse_los(")])()["forward.py"])})


def test_missing_and_misspelt_functions(run, baseline):
    check_run(run, baseline, failing={
        "mse_loss": r"no function or class named mse_loss; did you mean 'mse_los'\? \(rename it to 'mse_loss'\)",
        "cross_entropy": r"no function or class named cross_entropy"})


LAYOUTS = {
    "one folder down": lambda code: {"hw1/forward.py": code},
    "two folders down, zipped": lambda code: {"submission.zip": {"a1/src/forward.py": code}},
    "zipped on Windows": lambda code: {"submission.zip": {"a1\\src\\forward.py": code}},
    "two copies": lambda code: {"forward.py": code, "old/forward.py": "def sigmoid(z):\n    raise NotImplementedError\n"},
}
for _layout, _files in LAYOUTS.items():
    case(f"test_files_in_awkward_places[{_layout}]", "a1_forward",
         lambda _files=_files: _files(a1()()["forward.py"]))


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_files_in_awkward_places(run, baseline, layout):
    check_run(run, baseline)
    if layout == "two copies":
        assert "2 files named forward.py; graded forward.py" in run.results["output"]
    else:
        assert "inside a folder" in run.results["output"]


case("test_wrong_file_name", "a1_forward", lambda: {"Forward (1).py": a1()()["forward.py"]})


def test_wrong_file_name(run, baseline):
    check_run(run, baseline, everything=r"forward\.py was not found in your submission", student_ran=False)
    assert "rename Forward (1).py to forward.py" in run.results["output"]


case("test_import_of_a_missing_module", "a1_forward",
     a1(replace=[("import numpy as np\n", "import numpy as np\nimport numpyy\n")]))


def test_import_of_a_missing_module(run, baseline):
    check_run(run, baseline, everything=r"could not be imported.*ModuleNotFoundError: No module named 'numpyy'")


# -- runaway ----------------------------------------------------------------------------------------------
case("test_endless_loop_and_stopped_process_cost_one_timeout_each", "a1_forward", a1("runaway_loops"))


def test_endless_loop_and_stopped_process_cost_one_timeout_each(run, baseline):
    check_run(run, baseline, failing={"mse_loss": r"timed out after 2 s", "binary_cross_entropy": r"timed out after 2 s"},
              extra_seconds=2 * CALL_TIMEOUT_S)
    # one timeout per test (each function has one test), however many examples hypothesis had in mind
    assert len(tagged(run, "loop entered")) == 1 and len(tagged(run, "stop entered")) == 1


case("test_sleep_at_import_costs_one_startup_timeout", "a1_forward", a1("runaway_sleep_at_import"),
     limits={"startup_timeout_s": 3})


def test_sleep_at_import_costs_one_startup_timeout(run, baseline):
    check_run(run, baseline, everything=r"could not even be loaded: it timed out after 3 s while importing forward\.py",
              extra_seconds=3)
    assert len(tagged(run, "import")) == 1  # the import was tried once, not once per test


# A small memory limit: filling pages is slow on small CI machines, and the point is the limit, not its size.
case("test_memory_growing_without_bound", "a1_forward", a1("runaway_memory"),
     limits={"memory_mb": 128, "call_timeout_s": 10})


def test_memory_growing_without_bound(run, baseline):
    check_run(run, baseline, failing={"relu": r"raised MemoryError|used more than 128 MB",
                                      "binary_cross_entropy": r"used more than 128 MB of memory"},
              extra_seconds=20)


# Three classes in one run, each in its own function: a crash restarts the worker, the rest is graded normally.
CRASHES = {"mse_loss": r"crashed \(a segmentation fault\)",
           "tanh": r"exited with status 3 \(os\._exit or sys\.exit in your code\?\)",
           "relu": r"raised SystemExit: exit\(2\)",
           "binary_cross_entropy": r"exited with status 6"}
case("crashes", "a1_forward", a1("runaway_segfault", "runaway_exit_in_call", "runaway_pipe_holder"),
     tests=["test_segfault", "test_exit_in_a_call", "test_child_holding_the_pipes_while_the_worker_exits"])


def test_segfault(run, baseline):
    check_run(run, baseline, failing=CRASHES)
    assert re.search(CRASHES["mse_loss"], run.output_of("mse_loss"))


def test_exit_in_a_call(run, baseline):
    check_run(run, baseline, failing=CRASHES)
    assert re.search(CRASHES["tanh"], run.output_of("tanh")) and re.search(CRASHES["relu"], run.output_of("relu"))


def test_child_holding_the_pipes_while_the_worker_exits(run, baseline):
    check_run(run, baseline, failing=CRASHES)
    assert "timed out" not in run.output_of("binary_cross_entropy")  # seen dead at once, not after the timeout
    assert tagged(run, "pipe holder")  # the child did hold the pipes


EXITS_AT_IMPORT = {"os._exit": ("runaway_os_exit_at_import", r"could not even be loaded: it exited with status 4"),
                   "sys.exit": ("runaway_sys_exit_at_import", r"forward\.py could not be imported.*SystemExit: exit\(bye\)")}
for _how, (_snippet, _) in EXITS_AT_IMPORT.items():
    case(f"test_exit_at_import[{_how}]", "a1_forward", a1(_snippet))


@pytest.mark.parametrize("how", list(EXITS_AT_IMPORT))
def test_exit_at_import(run, baseline, how):
    check_run(run, baseline, everything=EXITS_AT_IMPORT[how][1])


case("test_megabytes_of_output", "a1_forward", a1("runaway_output"))


def test_megabytes_of_output(run, baseline):
    check_run(run, baseline, failing={"binary_cross_entropy": r"exited with status 5.*last output of your code:\n.*e{100}"})
    assert len((run.root / "results" / "results.json").read_bytes()) < 200_000
    assert all(len(t["output"]) <= 8000 for t in run.results["tests"])


case("test_a_hundred_child_processes", "a1_forward", a1("runaway_children"))


def test_a_hundred_child_processes(run, baseline):
    check_run(run, baseline, failing={"relu": r"raised BlockingIOError.*Resource temporarily unavailable"})
    children = tagged(run, "child")
    assert 10 < len(children) < 64, len(children)  # the per-uid process limit stopped the rest


case("test_detached_process_that_rewrites_results_later", "a1_forward", a1("runaway_detached"))


def test_detached_process_that_rewrites_results_later(run, baseline):
    check_run(run, baseline)  # mse_loss itself answers right: everything passes
    tags = [b[3] for b in beacons(run)]
    assert "heartbeat" in tags  # it did detach and run, hidden from /proc ownership checks (not dumpable)
    assert not [t for t in tags if t.startswith("WROTE")]  # but never got at results.json or run_autograder
    assert run.results["score"] == baseline.results["score"]


case("test_slow_calls_stop_at_the_per_test_budget", "a1_forward", a1("runaway_slow"),
     limits={"call_timeout_s": 1}, max_examples=30)


def test_slow_calls_stop_at_the_per_test_budget(run, baseline):
    check_run(run, baseline, failing={"mse_loss": r"stopped after \d+ s in your code \(at most 6 s per test\)"},
              extra_seconds=6 + 1)
    assert 6 <= len(tagged(run, "slow call")) <= 13  # 0.5 s each: the budget, not the 30 examples, ended it


# -- cheating -----------------------------------------------------------------------------------------------
def _netns_available():
    """Whether this kernel lets root give a process its own network namespace (not so in most containers).
    Asked of libc itself, not of the engine's internals, which move."""
    try:
        unshare = ctypes.CDLL(None, use_errno=True).unshare  # loaded here: the forked child only calls it
    except (OSError, AttributeError):  # not Linux/glibc
        return False
    pid = os.fork()
    if pid == 0:  # the child ends here whatever happens: if it returned, pytest would run on in two processes
        try:
            os._exit(0 if unshare(CLONE_NEWNET) == 0 else 1)
        finally:
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


def _readable_by_others(path):
    """Whether a user who is neither owner nor in the group could read ``path``."""
    path = Path(path)
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents) and \
        bool(path.stat().st_mode & stat.S_IROTH)


def _report(run, function, name):
    return json.loads(re.search(rf"{name}=(\[.*?\]|\{{.*?\}})", run.output_of(function)).group(1))


PROTECTED = ["run_autograder", "source/run_autograder", "source/autograder/grading/grader.py"]


def _remember_protected(root):
    (root.parent / "protected.json").write_text(json.dumps({p: (root / p).read_text() for p in PROTECTED}))


# Reading (mse_loss reports) and writing (tanh reports) in one run.
SNOOPING = {"mse_loss": r"exited with status 7.*LEAKS=", "tanh": r"exited with status 7.*WROTE="}
case("snooping", "a1_forward", a1("cheat_read_secrets", "cheat_overwrite"), after_layout=_remember_protected,
     tests=["test_reading_solutions_tests_and_grader_state", "test_writing_results_and_editing_run_autograder"])


def test_reading_solutions_tests_and_grader_state(run, baseline):
    check_run(run, baseline, failing=SNOOPING)
    leaks = _report(run, "mse_loss", "LEAKS")
    if LANDLOCK_ABI >= 4:  # nothing outside the worker's folder and its Python, and no TCP
        assert leaks == []
    else:
        # the bundle (sources, hidden tests, submission, results, run_autograder) and the grader process: out of reach
        assert set(leaks) - {"repo solution", "network", "ssh key"} == set(), leaks
        # without Landlock an instructor's checkout is only as private as its permissions
        assert ("repo solution" in leaks) == (_readable_by_others(REFERENCE["a1_forward"]) and not LANDLOCK_ABI)
    if _netns_available() or LANDLOCK_ABI >= 4:  # no network where root may unshare it, or Landlock forbids TCP
        assert "network" not in leaks
        assert run.connections == 0




def test_writing_results_and_editing_run_autograder(run, baseline):
    check_run(run, baseline, failing=SNOOPING)
    wrote = _report(run, "tanh", "WROTE")
    assert set(wrote) <= {"tmp file", "shm file", "tmp folder"}, wrote  # the shared temporary folders only
    before = json.loads((run.base / "protected.json").read_text())
    for path, text in before.items():
        assert (run.root / path).read_text() == text, path
    student_uids = {uid for _, uid, _, _ in beacons(run)}
    for folder in ("/tmp", "/dev/shm"):  # and what it left there was removed with it
        assert not [e.path for e in os.scandir(folder) if e.name.startswith("nnhw-hostile-junk")
                    and e.stat(follow_symlinks=False).st_uid in student_uids]


case("test_monkeypatching_numpy_pytest_unittest_hypothesis", "a1_forward", a1("cheat_monkeypatch"))


def test_monkeypatching_numpy_pytest_unittest_hypothesis(run, baseline):
    check_run(run, baseline, failing={"relu": r"wrong values in the result",
                                      "sigmoid": r"modified its argument z in place"})


# Forged answers (five functions) and answers right only some of the time (sigmoid), in one run.
UNTRUSTWORTHY = {
    "softmax": r"sent an answer out of turn",
    "mse_loss": r"sent something that is not plain data \(not a plain numeric array",
    "tanh": r"sent something that is not plain data \(a tensor of dtype 'load'",
    "binary_cross_entropy": r"returned an answer whose description is larger than 8 MB",
    "cross_entropy": r"returned an answer larger than 64 MB",
    "sigmoid": r"^sigmoid: .*(wrong values|[Ff]laky|inconsistent)",
}
case("untrustworthy", "a1_forward", a1("cheat_forged_answers", "cheat_sometimes"),
     tests=["test_forged_answers_are_only_data", "test_correct_only_some_of_the_time"])


def test_forged_answers_are_only_data(run, baseline):
    check_run(run, baseline, failing=UNTRUSTWORTHY)
    assert not (run.beacon / "PWNED").exists()  # the pickle never ran in the grader


case("test_killing_the_grader", "a1_forward", a1("cheat_kill_grader"))


def test_killing_the_grader(run, baseline):
    check_run(run, baseline, failing={"mse_loss": r"exited with status 7.*KILLS=",
                                      "binary_cross_entropy": r"crashed \(killed"})
    assert set(_report(run, "mse_loss", "KILLS").values()) == {"PermissionError"}


def test_correct_only_some_of_the_time(run, baseline):
    check_run(run, baseline, failing=UNTRUSTWORTHY)
    assert all(re.search(UNTRUSTWORTHY["sigmoid"], t["output"], re.S) for t in run.tests_of("sigmoid"))


def _plant_symlink(root):
    """As an unzipped upload could be: forward.py is a symlink into the grader's own tree."""
    target = root / "submission" / "forward.py"
    target.unlink()
    target.symlink_to(root / "source" / "solutions" / "a1_forward" / "forward.py")


case("test_symlink_to_the_reference_solution", "a1_forward", lambda: {"forward.py": "# replaced by a symlink\n"},
     after_layout=_plant_symlink)


def test_symlink_to_the_reference_solution(run, baseline):
    check_run(run, baseline, everything=r"forward\.py was not found in your submission", student_ran=False)
    assert run.results["score"] == 0


# Stealing: the submission implements nothing and imports the first forward.py it finds around its folder.
STEALING = {"Landlock": {}, "no Landlock": {"NNHW_NO_LANDLOCK": "1"}}
for _how, _env in STEALING.items():
    case(f"test_stealing_a_world_readable_copy_of_the_solutions[{_how}]", "a1_forward",
         only("cheat_steal_solution"), env=_env)


@pytest.mark.parametrize("how", list(STEALING))
def test_stealing_a_world_readable_copy_of_the_solutions(run, baseline, course_copy, how):
    """A course checkout anyone may read lies in /tmp. Confined, the submission finds nothing and scores zero;
    with Landlock turned off (the uid drop alone) the same submission takes full marks from the copy."""
    stolen = [b for b in beacons(run) if b[3].startswith("stole")]
    if how == "Landlock" and LANDLOCK_ABI:
        check_run(run, baseline, everything=r"no function or class named")
        assert run.results["score"] == 0 and not stolen
    else:  # the hole Landlock closes: the attack is real
        check_run(run, baseline)
        assert run.results["score"] == baseline.results["score"] and stolen


# -- wrong but innocent ---------------------------------------------------------------------------------------
case("test_wrong_but_innocent_answers", "a1_forward", a1("wrong_but_innocent"))


#: seven properties fail here, and hypothesis shrinks each failure (a few dozen smaller examples each, about
#: 4 CPU s in all; 35 s and more while grading still ran hypothesis's explain phase, see plugin.FEEDBACK_PHASES):
#: honest work for wrong answers, not time a hostile submission wins
SHRINKING_S = 30


def test_wrong_but_innocent_answers(run, baseline):
    check_run(run, baseline, failing={
        "sigmoid": r"should be a numpy array, got None",
        "tanh": r"has dtype float32, expected float64",
        "relu": r"returned an array of dtype object .*cannot be graded",
        "softmax": r"the result is NaN at index",
        "mse_loss": r"should be a number, got float64 array, shape \(1,\)",
        "binary_cross_entropy": r"should be a number, got \[",
        "cross_entropy": r"modified its argument y_hat in place",
    }, extra_seconds=SHRINKING_S)


# -- assignment-specific: forbidden APIs ------------------------------------------------------------------------
case("test_a2_torch_blocked_in_one_function", "a2_backprop", hostile("a2_backprop", "a2_torch_in_function"))
case("test_a2_torch_at_import_fails_the_file", "a2_backprop", hostile("a2_backprop", "a2_torch_at_import"))


def test_a2_torch_blocked_in_one_function(run, baseline):
    check_run(run, baseline, failing={"train_mlp": r"uses a forbidden API: importing torch is not allowed"},
              extra_seconds=60)


def test_a2_torch_at_import_fails_the_file(run, baseline):
    check_run(run, baseline, everything=r"backprop\.py could not be imported.*importing torch is not allowed",
              extra_seconds=60)


case("test_a3_forbidden_conv_captured_at_import", "a3_cnn", hostile("a3_cnn", "a3_captured_conv"))


def test_a3_forbidden_conv_captured_at_import(run, baseline):
    check_run(run, baseline, failing={
        "conv2d": r"uses a forbidden API: torch\.nn\.functional\.conv2d is not allowed",
        "Conv2d": r"uses a forbidden API: torch\.nn\.functional\.conv2d is not allowed"}, extra_seconds=120)
    assert [t for t in run.tests_of("Conv2dFunction") if t["max_score"]]  # graded, and passed (checked above)


# -- as an ordinary user: `nnhw grade`, no uid drop, Landlock alone -------------------------------------------
@dataclass
class GradedAsUser(_Feedback):
    name: str
    base: Path
    beacon: Path
    results: dict
    process: subprocess.CompletedProcess
    env: dict
    connections: int  # that reached the case's own listening port while it was graded


USER_CASES = {
    "snooping": (a1("cheat_read_secrets", "cheat_overwrite"), {}),
    "killing": (a1("cheat_kill_grader"), {}),
    "stealing": (only("cheat_steal_solution"), {}),
    "stealing without Landlock": (only("cheat_steal_solution"), {"NNHW_NO_LANDLOCK": "1"}),
}


def _grade_as_user(config, name, files, env):
    """``nnhw grade`` run by uid 65534 with its own home (and a key in it) on an upload it owns."""
    base = _new_base(config, "nnhw-as-user-")
    beacon = base / "beacon"
    beacon.mkdir()
    beacon.chmod(0o1777)
    home = base / "home"
    ssh_key = plant_ssh_key(home, NOBODY)
    fake_root = base / "autograder"  # where cheat_overwrite aims: the user's own results, writable by the user
    (fake_root / "results").mkdir(parents=True)
    upload = base / "upload"
    out = fake_root / "results" / "results.json"
    with _listener() as server:  # the case's own: what reaches it came from this submission
        port = server.getsockname()[1]
        write_upload(upload, files(), lambda text: fill_placeholders(text, fake_root, beacon, port, ssh_key))
        for path in [fake_root, *fake_root.rglob("*"), upload, *upload.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "NNHW_WORKER_ALSO_WRITABLE": str(beacon), **env}
        process = subprocess.run([sys.executable, "-m", "autograder", "grade", "a1_forward", str(upload),
                                  "--out", str(out)], cwd=ROOT, env=env, user=NOBODY, group=NOBODY, extra_groups=[],
                                 capture_output=True, text=True, timeout=600)
        results = json.loads(out.read_text()) if out.exists() else {}
        return GradedAsUser(name, base, beacon, results, process, env, _connections(server))


@pytest.fixture(scope="session")
def graded_as_user(request):
    """Every USER_CASES case, graded concurrently once per test session, as :func:`graded` does."""
    if not AS_ROOT:
        pytest.skip("switching to an ordinary user's uid needs root")
    return once(request.config, "hostile-graded-as-user", lambda: _grade_all_as_user(request))


def _grade_all_as_user(request):
    request.getfixturevalue("course_copy")  # what the stealing cases look for while they are graded
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {n: pool.submit(_grade_as_user, request.config, n, files, env)
                   for n, (files, env) in USER_CASES.items()}
    return _outcomes(futures)


def check_user_run(run, failing=None, everything=None):
    """What an honest grade as an ordinary user shows: nnhw grade finished, the confinement it reported, no
    survivor, and exactly the ``failing`` functions' tests failed."""
    assert run.process.returncode == 0, run.process.stderr[-3000:]
    assert validate(run.results) == [], validate(run.results)
    assert run.results["extra_data"]["confinement"] == expected_confinement(run.env, root=False)
    assert f"ran confined by: {run.results['extra_data']['confinement']}" in run.process.stdout
    assert {uid for _, uid, _, _ in beacons(run)} == {NOBODY}
    assert survivors(run) == []
    for test in run.results["tests"]:
        pattern = everything or (failing or {}).get(test["name"].split(":")[0])
        if pattern is None:
            assert test["status"] == "passed", (test["name"], test["output"])
        else:
            assert test["status"] == "failed" and re.search(pattern, test["output"], re.S), (test["name"], test["output"])


@needs_root
@pytest.mark.skipif(LANDLOCK_ABI < 6, reason="needs Landlock ABI 6 (files, TCP, signals)")
def test_as_an_ordinary_user_reading_writing_and_connecting_fail(graded_as_user):
    """The user's checkout, their ~/.ssh, the grader's /proc, their own results.json, /tmp and the network:
    all refused to the student's code, although the worker runs as that very user."""
    run = _take(graded_as_user, "snooping")
    check_user_run(run, SNOOPING)
    assert _report(run, "mse_loss", "LEAKS") == [] and _report(run, "tanh", "WROTE") == []
    assert run.connections == 0


@needs_root
@pytest.mark.skipif(LANDLOCK_ABI < 6, reason="needs Landlock ABI 6 (signal scoping)")
def test_as_an_ordinary_user_the_grader_cannot_be_killed(graded_as_user):
    """Same uid, yet kill(grader), killpg and kill(-1) reach nothing outside the worker's own processes."""
    run = _take(graded_as_user, "killing")
    check_user_run(run, {"mse_loss": r"exited with status 7.*KILLS=", "binary_cross_entropy": r"crashed \(killed"})
    assert set(_report(run, "mse_loss", "KILLS").values()) == {"PermissionError"}


@needs_root
@pytest.mark.skipif(not LANDLOCK_ABI, reason="needs Landlock")
def test_as_an_ordinary_user_stealing_a_world_readable_copy_scores_zero(graded_as_user, course_copy):
    confined, open_ = _take(graded_as_user, "stealing"), _take(graded_as_user, "stealing without Landlock")
    check_user_run(confined, everything=r"no function or class named")
    assert confined.results["score"] == 0 and not [b for b in beacons(confined) if b[3].startswith("stole")]
    # the same submission with Landlock turned off: the attack is real, and nnhw grade says so
    check_user_run(open_, {})
    assert open_.results["score"] == sum(t["max_score"] for t in open_.results["tests"]) > 0
    assert [b for b in beacons(open_) if b[3].startswith("stole")]
    assert "unconfined" in open_.process.stderr


# -- the sandbox and session directly (no bundle) ------------------------------------------------------------
WORKER_FILE = '''
import os, signal, threading, time

def stop_soon():
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGSTOP)).start()
    return 1

def echo(x):
    return x

def nap(seconds):
    time.sleep(seconds)
    return seconds
''' + DETACH


@pytest.fixture
def worker_file(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(WORKER_FILE)
    tmp_path.chmod(0o755)
    return path


def test_a_stopped_worker_cannot_block_a_large_request(worker_file):
    """Writing a request bigger than the pipe to a worker that stopped itself times out; it does not hang."""
    worker = sandbox.Worker({"student.py": worker_file}, ["student"], Limits(call_timeout_s=2))
    try:
        assert worker.request({"op": "call", "target": "stop_soon"}, {"args": []})[1]["result"] == 1
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(sandbox.WorkerFailure, match="timed out after 2 s"):
            worker.request({"op": "call", "target": "echo"}, {"args": [np.zeros(1_000_000)]})
        assert time.monotonic() - started < 5
    finally:
        worker.close()


@needs_root
def test_concurrent_workers_lease_distinct_uids(worker_file):
    workers = [sandbox.Worker({"student.py": worker_file}, ["student"], Limits()) for _ in range(3)]
    try:
        assert len({w.uid for w in workers}) == 3
        assert all(sandbox.processes_of(uid=w.uid) for w in workers)
    finally:
        for w in workers:
            w.close()
    assert not any(sandbox.processes_of(uid=w.uid) for w in workers)


def test_without_privilege_drop_the_token_finds_detached_processes(worker_file, monkeypatch):
    """The laptop path (no uid of its own): a double-forked, new-session grandchild is found by its token."""
    monkeypatch.setenv("NNHW_NO_PRIVILEGE_DROP", "1")
    worker = sandbox.Worker({"student.py": worker_file}, ["student"], Limits())
    assert worker.uid is None
    worker.request({"op": "call", "target": "detach"}, {"args": []})
    assert len(sandbox.processes_of(token=worker.token)) == 2  # the worker and the detached grandchild
    worker.close()
    assert sandbox.processes_of(token=worker.token) == []


def test_the_submission_time_budget_stops_a_slow_submission(worker_file):
    """Calls that each stay under the timeout still cannot run past the submission's total budget."""
    from autograder.grading.student import Session, StudentCodeAbort

    assignment = Course(ROOT).assignment("a1_forward")
    config = assignment.config
    config = replace(config, limits=replace(config.limits, call_timeout_s=2, total_budget_s=1.0, test_budget_s=60))
    session = Session({"student.py": worker_file}, {}, None, config)
    try:
        session.start_test()
        calls = 0
        with pytest.raises(StudentCodeAbort, match=r"used up this submission's time budget \(1 s"):
            while True:
                session.request("nap", (0.3,))
                calls += 1
                session.start_test()  # a new test: the per-test budget starts again, the total does not
        # it stopped at the first call after 1 s in the student's code (worker start-up included), not later
        assert calls * 0.3 <= session.spent_total and 1.0 <= session.spent_total < 1.0 + 0.3 + 3.0
        with pytest.raises(StudentCodeAbort, match="time budget"):  # and stays stopped
            session.request("nap", (0,))
    finally:
        session.close()
