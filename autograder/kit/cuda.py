"""The CUDA judge: torch's own results on a GPU, run live where there is one and replayed where not.

An assignment may hold ``cuda_cases.py`` whose ``cases()`` returns a list of dicts::

    {"name": "3x3 filters, stride 1, pad 1",     # unique; its slug names the case's folder
     "function": "torch.nn.functional.conv2d",  # dotted name of the torch function that judges
     "args": [x, weight, bias],                  # numpy arrays become float32 tensors on the device
     "kwargs": {"stride": 1, "padding": 1},      # plain values (ints, tuples, None) pass as they are
     "wrt": [0, 1, 2],                           # optional: also the gradients of these args ...
     "grad_output": dout,                        # ... for this ∂L/∂output (a numpy array)
     "tags": ["conv2d"]}                         # optional: which graded tests use the case

``nnhw record-cuda ID`` (on a GPU machine) applies each case's function to float32 CUDA
tensors with TF32 off and stores what it saw under ``assignments/<id>/recordings/``:

    metadata.json        device name, torch, CUDA and cuDNN versions, date, the cases
    <slug>/case.json     the case: function, kwargs, tags, its fingerprint, which file holds what
    <slug>/*.npy         float32 inputs, output and gradients (np.save: no timestamps, so a
                         recording made twice from the same cases on one machine is byte-identical)

Graded tests ask :func:`cuda_cases` for the cases to judge on this machine. With CUDA the
cases run live: the student's code gets CUDA tensors and is compared with torch's result on
the same tensors, computed here and now. Without CUDA (Gradescope) the student's code gets
the recorded float32 inputs on the CPU and is compared with the recorded CUDA results. With
neither, the test is skipped ("not graded here"). ``NNHW_CUDA_LIVE=0`` replays even where
CUDA exists. Tolerances are the test's business: a float32 CPU result never equals a GPU one
bit for bit.
"""

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import protocol

CASES_FILE = "cuda_cases.py"
RECORDINGS_DIR = "recordings"
METADATA = "metadata.json"
CASE_FILE = "case.json"
FORMAT = 1
#: Set to a folder to replay recordings from there instead of the assignment's own; recordings
#: made on a non-CUDA device are then accepted too (for testing the record → replay path).
ENV_RECORDINGS = "NNHW_CUDA_RECORDINGS"
#: Set to 0 to replay the recordings even where CUDA exists (e.g. a GPU grader whose worker
#: cannot use the GPU).
ENV_LIVE = "NNHW_CUDA_LIVE"


class RecordingError(RuntimeError):
    """Recording cannot be done as asked (no CUDA, a bad case, a CPU recording meant as a CUDA one)."""


@dataclass
class Case:
    """One case of ``cuda_cases.py``, its arrays still float64 numpy as the file made them."""

    name: str
    function: str
    args: list
    kwargs: dict = field(default_factory=dict)
    wrt: tuple = ()
    grad_output: object = None
    tags: tuple = ()

    @property
    def slug(self):
        return slugify(self.name)

    def fingerprint(self):
        """What the case asks for (function, arguments' shapes, kwargs, wrt, tags), not the values:
        a recording whose fingerprint differs was made from another version of the case."""
        def shape_of(value):
            return {"array": list(np.shape(value))} if isinstance(value, np.ndarray) else protocol.to_json_data(value)

        spec = {"function": self.function, "args": [shape_of(a) for a in self.args],
                "kwargs": protocol.to_json_data(self.kwargs), "wrt": list(self.wrt),
                "grad_output": shape_of(self.grad_output), "tags": sorted(self.tags)}
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class JudgedCase:
    """A case ready to grade: the arguments to give the student, and torch's answer to compare with."""

    name: str
    args: list               # tensors on ``device`` (float32) and plain values
    kwargs: dict
    wrt: tuple
    grad_output: object      # tensor on ``device`` or None
    expected: object         # torch's output (a tensor on ``device``)
    expected_grads: list     # torch's gradients of the args in ``wrt`` (tensors), or None
    device: str              # "cuda" (live) or "cpu" (replayed)
    source: str              # who computed ``expected``, for feedback
    tags: tuple = ()


def slugify(name):
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80].rstrip("-") or "case"


def cases_path(assignment_dir):
    return Path(assignment_dir) / CASES_FILE


def load_cases(assignment_dir):
    """The cases of ``<assignment_dir>/cuda_cases.py`` (empty when there is no such file)."""
    path = cases_path(assignment_dir)
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"nnhw_cuda_cases_{Path(assignment_dir).name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases, slugs = [], set()
    for raw in module.cases():
        unknown = set(raw) - {"name", "function", "args", "kwargs", "wrt", "grad_output", "tags"}
        if unknown or not {"name", "function", "args"} <= set(raw):
            raise RecordingError(f"{path}: case {raw.get('name')!r} needs name, function and args "
                                 f"(unknown keys: {', '.join(sorted(unknown)) or 'none'})")
        case = Case(str(raw["name"]), str(raw["function"]), list(raw["args"]), dict(raw.get("kwargs") or {}),
                    tuple(raw.get("wrt") or ()), raw.get("grad_output"), tuple(raw.get("tags") or ()))
        if case.wrt and case.grad_output is None:
            raise RecordingError(f"{path}: case {case.name!r} has wrt but no grad_output")
        if case.slug in slugs:
            raise RecordingError(f"{path}: two cases are named like {case.name!r}")
        slugs.add(case.slug)
        cases.append(case)
    return cases


@contextlib.contextmanager
def tf32_off(deterministic=False):
    """Full float32 on the GPU: no TF32 in cuDNN convolutions or in matrix products; with
    ``deterministic``, also only deterministic cuDNN algorithms (a recording repeats bit for bit)."""
    import torch

    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = cudnn.allow_tf32, matmul.allow_tf32, cudnn.deterministic, cudnn.benchmark
    cudnn.allow_tf32, matmul.allow_tf32 = False, False
    if deterministic:
        cudnn.deterministic, cudnn.benchmark = True, False
    try:
        yield
    finally:
        cudnn.allow_tf32, matmul.allow_tf32, cudnn.deterministic, cudnn.benchmark = saved


def _to_device(value, device):
    import torch

    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)).to(device)
    return value


def run_case(case, device):
    """Apply the case's torch function on ``device`` in float32 with TF32 off.

    Returns ``(args, grad_output, output, grads)``: the tensors it was given and what it
    computed (``grads`` is None when the case has no ``wrt``)."""
    import torch

    try:
        function = protocol.resolve(case.function, importlib.import_module)
    except (ImportError, AttributeError):
        raise RecordingError(f"cannot find {case.function}") from None
    args = [_to_device(a, device) for a in case.args]
    kwargs = {k: _to_device(v, device) for k, v in case.kwargs.items()}
    grad_output = _to_device(case.grad_output, device) if case.grad_output is not None else None
    leaves = [a.detach().clone().requires_grad_(i in case.wrt) if isinstance(a, torch.Tensor) else a
              for i, a in enumerate(args)]
    with tf32_off(deterministic=True), torch.enable_grad():
        output = function(*leaves, **kwargs)
        grads = None
        if case.wrt:
            grads = list(torch.autograd.grad(output, [leaves[i] for i in case.wrt], grad_output))
    if device != "cpu" and str(device).startswith("cuda"):
        torch.cuda.synchronize()
    return args, grad_output, output.detach(), [g.detach() for g in grads] if grads is not None else None


# -- replaying ---------------------------------------------------------------------------------------
@dataclass
class Recording:
    folder: Path
    metadata: dict
    cases: list   # dicts with name, function, tags, wrt, fingerprint, args, kwargs, grad_output, output, grads

    def describe(self):
        m = self.metadata
        cudnn = f", cuDNN {m['cudnn']}" if m.get("cudnn") else ""
        return f"{m.get('device_type')} results of {m.get('device')} (torch {m.get('torch')}{cudnn}, {m.get('date')})"


def _array_reader(folder):
    def get(ref):
        if not isinstance(ref, str) or not re.fullmatch(r"[A-Za-z0-9_]+\.npy", ref):
            raise RecordingError(f"{folder}: bad array file name {ref!r}")
        return np.load(folder / ref, allow_pickle=False)

    return get


def load_recording(folder):
    """The recording in ``folder``, or None when there is none."""
    folder = Path(folder)
    if not (folder / METADATA).is_file():
        return None
    metadata = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    if metadata.get("format") != FORMAT:
        raise RecordingError(f"{folder / METADATA}: format {metadata.get('format')!r}, expected {FORMAT}")
    cases = []
    for slug in metadata.get("cases", []):
        case_folder = folder / slug
        entry = json.loads((case_folder / CASE_FILE).read_text(encoding="utf-8"))
        get = _array_reader(case_folder)
        for key in ("args", "kwargs", "grad_output", "output", "grads"):
            entry[key] = protocol.decode(entry[key], get)
        cases.append(entry)
    return Recording(folder, metadata, cases)


def cuda_available():
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


#: What a student reads for a CUDA test this grader cannot grade: it carries no points here. The
#: instructor's side of it (which command makes recordings) is `nnhw build`'s warning, not this.
NOT_GRADED_HERE = "this grader has no GPU and no recorded CUDA results, so this test carries no points here"


def cuda_cases(assignment_dir, tag=None, live=None, recordings_dir=None, allow_non_cuda=None):
    """The CUDA cases to grade on this machine (those tagged ``tag``, or all).

    Live on CUDA where it exists (``live``, or ``$NNHW_CUDA_LIVE=0``, overrides the detection);
    elsewhere replayed from the recording (``$NNHW_CUDA_RECORDINGS`` or ``<assignment_dir>/recordings``)
    on the CPU. Calls ``pytest.skip`` when there is nothing to grade with, so the test counts
    neither way."""
    import pytest
    import torch

    assignment_dir = Path(assignment_dir)
    if live is None:
        live = cuda_available() and os.environ.get(ENV_LIVE, "1") != "0"
    if live:
        judged = []
        for case in load_cases(assignment_dir):
            if tag is not None and tag not in case.tags:
                continue
            args, grad_output, output, grads = run_case(case, "cuda")
            kwargs = {k: _to_device(v, "cuda") for k, v in case.kwargs.items()}
            judged.append(JudgedCase(case.name, args, kwargs, case.wrt, grad_output, output, grads, "cuda",
                                     f"{case.function} on {torch.cuda.get_device_name()} (live, TF32 off)",
                                     case.tags))
        return judged

    override = os.environ.get(ENV_RECORDINGS)
    folder = Path(recordings_dir or override or assignment_dir / RECORDINGS_DIR)
    allow_non_cuda = bool(override) if allow_non_cuda is None else allow_non_cuda
    recording = load_recording(folder)
    if recording is None:
        pytest.skip(NOT_GRADED_HERE)
    if recording.metadata.get("device_type") != "cuda" and not allow_non_cuda:
        pytest.skip(NOT_GRADED_HERE)  # made on another device: `nnhw build` tells the instructor
    judged = []
    for entry in recording.cases:
        if tag is not None and tag not in entry["tags"]:
            continue

        def cpu(value):
            return torch.from_numpy(np.array(value)) if isinstance(value, np.ndarray) else value

        judged.append(JudgedCase(
            entry["name"], [cpu(a) for a in entry["args"]], {k: cpu(v) for k, v in entry["kwargs"].items()},
            tuple(entry["wrt"]), cpu(entry["grad_output"]), cpu(entry["output"]),
            [cpu(g) for g in entry["grads"]] if entry["grads"] is not None else None, "cpu",
            f"{entry['function']}: recorded {recording.describe()}", tuple(entry["tags"])))
    if not judged:
        pytest.skip(NOT_GRADED_HERE)  # no case for this test: `nnhw build` tells the instructor
    return judged
