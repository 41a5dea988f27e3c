#!/usr/bin/env python3
"""Everything an assignment's CUDA judge needs from a GPU machine, in one run of about a minute.

    python scripts/device_check.py [ID] [--archive recordings.tar.gz] [--no-record] [--no-timing]

1. machine: torch, CUDA, cuDNN and the device; whether a real worker, under the assignment's
   limits, can compute on CUDA (and how much memory it then holds)
2. record: `nnhw record-cuda ID` into assignments/ID/recordings (--archive also packs it into one
   .tar.gz, e.g. under $OUT, to carry it back)
3. live: grade the reference with every test, the CUDA ones live: full marks, none skipped
4. margins: the reference's float32 result on the recorded inputs against the recorded torch/cuDNN
   results, as a fraction of the graded tests' tolerance
5. replay: the CUDA tests again with CUDA hidden, against the recording (a CPU-only grader's path)
6. mutant: one that computes in float64 on the CPU (--mutant) must fail the CUDA tests
7. timing: the reference conv2d against torch's own (cuDNN), forward + backward, float32,
   TF32 off, on ResNet-like layers (N=32, 3x3, pad 1: 64@56x56, 128@28x28, 256@14x14); the ratio

Without CUDA it says so and still runs every step it can: it records on the CPU into a temporary
folder (marked as a CPU recording), replays that, and times against torch on the CPU with a
smaller batch. Exit status 1 when a check fails.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from autograder.authoring import record_cuda  # noqa: E402
from autograder.authoring.mutants import load_mutants, write_mutant_submission  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grading import extra as extra_data  # noqa: E402
from autograder.kit import cuda as cuda_judge  # noqa: E402 - "cuda" is this script's flag: whether a GPU is here

FAILURES = []
SHAPES = [(64, 56), (128, 28), (256, 14)]  # (channels in = out, height = width), 3x3 filters, pad 1


def say(text=""):
    print(text, flush=True)


def check(ok, what):
    say(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILURES.append(what)
    return ok


def section(title):
    say(f"\n== {title}")


# -- 1. the machine ------------------------------------------------------------------------------------
PROBE = """
import torch

def echo(x):
    return x * 1

def resident_mb():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["RssAnon"].split()[0]) // 1024
"""


def worker_probe(assignment, device):
    """Start a real worker with the assignment's limits and poison; send it a tensor on ``device``."""
    from autograder.sandbox import Worker

    with tempfile.TemporaryDirectory() as temp:
        probe = Path(temp) / "probe.py"
        probe.write_text(PROBE)
        worker = Worker({"probe.py": probe}, ["probe"], assignment.config.limits, assignment.config.forbidden.poison())
        try:
            reply, answer = worker.request({"op": "call", "target": "echo"},
                                           {"args": [torch.ones(3, device=device)], "kwargs": {}})
            if not reply.get("ok"):
                return False, str(reply.get("error"))[:300], None
            _, memory = worker.request({"op": "call", "target": "resident_mb"}, {"args": [], "kwargs": {}})
            where = getattr(answer["result"], "nnhw_device", "?")
            return where.startswith(device), f"the answer came back from {where}", memory["result"]
        except Exception as exc:  # noqa: BLE001 - a diagnosis, not a crash
            return False, f"{type(exc).__name__}: {exc}"[:300], None
        finally:
            worker.close()


def machine(assignment, cuda):
    section("machine")
    say(f"  python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"cuDNN {torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}")
    limit = assignment.config.limits.memory_mb
    if cuda:
        say(f"  device: {torch.cuda.get_device_name()} "
            f"(capability {'.'.join(map(str, torch.cuda.get_device_capability()))})")
    else:
        say("  no CUDA here: recording on the CPU (marked as such) and timing against torch on the CPU")
    device = "cuda" if cuda else "cpu"
    ok, detail, memory = worker_probe(assignment, device)
    check(ok, f"a worker under the assignment's limits (memory_mb = {limit}) computes on {device}: {detail}"
          + (f"; it holds {memory} MB of anonymous memory" if memory is not None else ""))


# -- 2. recording --------------------------------------------------------------------------------------
def record(assignment, cuda, archive):
    section("record")
    if cuda:
        folder = record_cuda.record(assignment.dir, "cuda")
    else:
        folder = record_cuda.record(assignment.dir, "cpu", Path(tempfile.mkdtemp(prefix="nnhw-recording-")),
                                   allow_non_cuda=True)
    recording = cuda_judge.load_recording(folder)
    check(recording is not None and len(recording.cases) == len(cuda_judge.load_cases(assignment.dir)),
          f"{len(recording.cases)} case(s) recorded in {folder}: {recording.describe()}")
    if cuda:
        check(record_cuda.problems(assignment.dir) == [], "the recording matches cuda_cases.py")
    if archive:
        archive = Path(archive)
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname="recordings", filter=lambda info: info.replace(mtime=0, uid=0, gid=0, uname="",
                                                                                   gname=""))
        say(f"  packed into {archive} ({archive.stat().st_size // 1024} KB): "
            f"tar -xzf {archive.name} -C assignments/{assignment.id}")
    return folder


# -- grading in a subprocess (exactly `nnhw grade`) ---------------------------------------------------------
def grade(assignment, upload, keyword=None, env=None):
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "results.json"
        command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(upload), "--out", str(out),
                   "--quiet"] + (["-k", keyword] if keyword else [])
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "NNHW_COURSE_ROOT": str(ROOT), **(env or {})})
        seconds = time.monotonic() - started
        if not out.is_file():
            check(False, f"nnhw grade {assignment.id} {upload} ran (exit {done.returncode}): {done.stderr[-2000:]}")
            return {"tests": [], "score": 0}, seconds
        return json.loads(out.read_text()), seconds


def cuda_tests(results):
    return [t for t in results.get("tests", []) if "CUDA" in t["name"]]


def show(tests):
    for t in tests:
        status = "skipped" if t["status"] == "passed" and t["max_score"] == 0 else t["status"]
        say(f"    {t['number']:>3} {status:8s} {t['score']:g}/{t['max_score']:g}  {t['name'][:90]}")
        if t["status"] != "passed" or t["max_score"] == 0:
            say("        " + t["output"][:600].replace("\n", "\n        "))


def live(assignment, cuda):
    section("grade the reference, every test" + (" (CUDA tests live)" if cuda else " (no CUDA: CUDA tests skipped)"))
    results, seconds = grade(assignment, assignment.solution_dir)
    maximum = sum(t["max_score"] for t in results["tests"])
    say(f"  {seconds:.1f} s, score {results['score']:g} / {maximum:g}")
    show([t for t in results["tests"] if t["status"] != "passed" or "CUDA" in t["name"]])
    check(results["score"] == maximum and maximum > 0, "the reference gets full marks")
    if cuda:
        check(cuda_tests(results) and not extra_data.read(results).get("not_graded"),
              "the CUDA tests ran live (none left out as not graded here)")
    for entry in results.get("leaderboard", []):
        say(f"  leaderboard: {entry['name']} = {entry['value']}")


def replay(assignment, folder, cuda):
    section("replay the recording with CUDA hidden (a CPU-only grader)")
    env = {"CUDA_VISIBLE_DEVICES": ""}
    if not cuda:
        env[cuda_judge.ENV_RECORDINGS] = str(folder)
    results, seconds = grade(assignment, assignment.solution_dir, "cuda", env)
    show(cuda_tests(results))
    check(cuda_tests(results) and all(t["status"] == "passed" and t["max_score"] > 0 for t in cuda_tests(results)),
          f"the reference passes the replayed CUDA tests ({seconds:.1f} s)")


def mutant(assignment, folder, cuda, name):
    found = [m for m in load_mutants(assignment) if m.name == name]
    section(f"mutant {name}" + (" (live on CUDA)" if cuda else " (replayed)"))
    if not found:
        say(f"  no mutant named {name}; skipped")
        return
    env = {} if cuda else {cuda_judge.ENV_RECORDINGS: str(folder)}
    with tempfile.TemporaryDirectory() as temp:
        upload = write_mutant_submission(assignment, found[0], Path(temp) / name)
        results, _ = grade(assignment, upload, "cuda", env)
    show(cuda_tests(results))
    check(cuda_tests(results) and all(t["status"] == "failed" for t in cuda_tests(results)),
          f"{name} fails every CUDA test")


# -- 4. margins ----------------------------------------------------------------------------------------
def load_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def margins(assignment, folder, cuda):
    section("margins: the reference on the recorded inputs vs the recording, as a fraction of the tolerance")
    tests = load_file(assignment.tests_dir / "test_gpu_conv.py", "nnhw_device_check_tests")
    reference = assignment.load_reference()
    device = "cuda" if cuda else "cpu"
    recording = cuda_judge.load_recording(folder)
    worst = 0.0
    with cuda_judge.tf32_off():
        for entry in recording.cases:
            x, weight, bias = [None if a is None else torch.from_numpy(a).to(device) for a in entry["args"]]
            dout = torch.from_numpy(entry["grad_output"]).to(device)
            stride, padding = entry["kwargs"]["stride"], entry["kwargs"]["padding"]
            leaves = [None if a is None else a.clone().requires_grad_() for a in (x, weight, bias)]
            out = reference.conv2d(*leaves, stride=stride, padding=padding)
            out.backward(dout)
            atol = tests.tolerances(x, weight, bias, stride, padding, dout)
            got = [out.detach()] + [leaf.grad for leaf in leaves if leaf is not None]
            want = [entry["output"]] + list(entry["grads"])
            ratios = [float((g.double().cpu() - torch.from_numpy(w).double()).abs().max()) / atol[key]
                      for g, w, key in zip(got, want, ["out", "dx", "dw", "db"])]
            worst = max(worst, *ratios)
            say(f"  {entry['name'][:60]:60s} " + " ".join(f"{k}={r:.3f}" for k, r in zip(["out", "dx", "dw", "db"],
                                                                                     ratios)))
    check(worst < 0.5, f"the worst error is {worst:.3f} of the tolerance (should be well below 1)")


# -- 7. timing ------------------------------------------------------------------------------------------
def timing(assignment, cuda):
    batch = 32 if cuda else 4
    device = "cuda" if cuda else "cpu"
    section(f"timing: reference conv2d vs torch's own, forward + backward, float32, TF32 off, N={batch}, "
            f"3x3 pad 1 ({'cuDNN on ' + torch.cuda.get_device_name() if cuda else 'no CUDA: torch on the CPU, smaller batch'})")
    reference = assignment.load_reference()
    generator = torch.Generator().manual_seed(0)
    repeat = 10 if cuda else 3
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def measure(conv, x, weight, bias, dout):
        times = []
        for i in range(repeat + 2):
            leaves = [t.detach().requires_grad_() for t in (x, weight, bias)]
            sync()
            start = time.perf_counter()
            conv(*leaves, stride=1, padding=1).backward(dout)
            sync()
            if i >= 2:  # two warm-ups
                times.append(time.perf_counter() - start)
        return statistics.median(times)

    with cuda_judge.tf32_off():
        for channels, side in SHAPES:
            x = torch.randn(batch, channels, side, side, generator=generator).to(device)
            weight = (torch.randn(channels, channels, 3, 3, generator=generator) / (3 * channels ** 0.5)).to(device)
            bias = torch.zeros(channels).to(device)
            dout = torch.randn(batch, channels, side, side, generator=generator).to(device)
            ours = measure(reference.conv2d, x, weight, bias, dout)
            theirs = measure(F.conv2d, x, weight, bias, dout)
            say(f"  N={batch} C=K={channels} {side}x{side}: reference {ours * 1e3:8.2f} ms, torch {theirs * 1e3:8.2f} ms, "
                f"ratio {ours / theirs:.2f}")
            del x, weight, bias, dout
            if cuda:
                torch.cuda.empty_cache()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", nargs="?", default="a3_cnn")
    parser.add_argument("--archive", help="also pack the recording into this .tar.gz")
    parser.add_argument("--mutant", default="gpu_via_numpy_float64_cpu", help="a mutant that must fail the CUDA tests")
    parser.add_argument("--no-record", action="store_true", help="use the recording already there")
    parser.add_argument("--no-timing", action="store_true")
    options = parser.parse_args()
    started = time.monotonic()
    assignment = Course(ROOT).assignment(options.assignment)
    cuda = torch.cuda.is_available()
    machine(assignment, cuda)
    if options.no_record:
        folder = Path(os.environ.get(cuda_judge.ENV_RECORDINGS) or assignment.dir / cuda_judge.RECORDINGS_DIR)
    else:
        folder = record(assignment, cuda, options.archive)
    live(assignment, cuda)
    if cuda_judge.load_recording(folder) is not None:
        margins(assignment, folder, cuda)
        replay(assignment, folder, cuda)
        mutant(assignment, folder, cuda, options.mutant)
    if not options.no_timing:
        timing(assignment, cuda)
    if not cuda and not options.no_record:
        shutil.rmtree(folder, ignore_errors=True)
    section(f"done in {time.monotonic() - started:.0f} s: " + ("all checks passed" if not FAILURES else
                                                                f"{len(FAILURES)} check(s) failed"))
    for failure in FAILURES:
        say(f"  FAIL {failure}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
