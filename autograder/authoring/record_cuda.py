"""``nnhw record-cuda ID``: run an assignment's CUDA cases on a GPU and store torch's results, so that graders
without one judge the CUDA tests against them (the format, and how tests replay it: :mod:`autograder.kit.cuda`);
and the build's warnings when a recording is missing or stale."""

import datetime
import json
import shutil
from pathlib import Path

import numpy as np

from autograder import protocol
from autograder.kit.cuda import (
    CASE_FILE,
    CASES_FILE,
    FORMAT,
    METADATA,
    RECORDINGS_DIR,
    RecordingError,
    cases_path,
    load_cases,
    load_recording,
    run_case,
    slugify,
)


def device_info(device):
    import torch

    info = {"device_type": str(torch.device(device).type), "torch": torch.__version__,
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available()
            else None}
    if info["device_type"] == "cuda":
        info["device"] = torch.cuda.get_device_name(torch.device(device))
        major, minor = torch.cuda.get_device_capability(torch.device(device))
        info["capability"] = f"{major}.{minor}"
    else:
        import platform

        info["device"] = platform.processor() or platform.machine() or "cpu"
    return info


def _array_writer(folder, prefix):
    count = [0]

    def put(array):
        name = f"{prefix}{count[0]}.npy"
        count[0] += 1
        np.save(folder / name, np.ascontiguousarray(array), allow_pickle=False)
        return name

    return put


def _write_json(path, data):
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def record(assignment_dir, device="cuda", out=None, allow_non_cuda=False, now=None):
    """Run every case of ``cuda_cases.py`` on ``device`` and store the recording; returns its folder.

    Refuses a device other than CUDA unless ``allow_non_cuda`` (such a recording is marked with
    its device type, and graded tests do not take it for a CUDA one)."""
    import torch

    assignment_dir = Path(assignment_dir)
    cases = load_cases(assignment_dir)
    if not cases:
        raise RecordingError(f"{cases_path(assignment_dir)}: no cases to record")
    kind = torch.device(device).type
    if kind != "cuda" and not allow_non_cuda:
        raise RecordingError(f"refusing to store a recording made on {device} as CUDA results; use a GPU "
                             f"machine (--allow-non-cuda stores one anyway, marked as such, for testing only)")
    if kind == "cuda" and not torch.cuda.is_available():
        raise RecordingError("CUDA is not available here: run `nnhw record-cuda` on a machine with a GPU")
    out = Path(out) if out is not None else assignment_dir / RECORDINGS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():  # only what an earlier recording wrote
        if old.is_dir() and (old / CASE_FILE).is_file():
            shutil.rmtree(old)
    (out / METADATA).unlink(missing_ok=True)

    for case in cases:
        args, grad_output, output, grads = run_case(case, device)
        folder = out / case.slug
        folder.mkdir()
        entry = {
            "name": case.name, "function": case.function, "tags": list(case.tags), "wrt": list(case.wrt),
            "fingerprint": case.fingerprint(),
            "args": protocol.encode([_numpy(a) for a in args], _array_writer(folder, "arg")),
            "kwargs": protocol.encode(case.kwargs, _array_writer(folder, "kwarg")),
            "grad_output": protocol.encode(_numpy(grad_output), _array_writer(folder, "grad_output")),
            "output": protocol.encode(_numpy(output), _array_writer(folder, "output")),
            "grads": protocol.encode([_numpy(g) for g in grads] if grads is not None else None,
                                     _array_writer(folder, "grad")),
        }
        _write_json(folder / CASE_FILE, entry)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    metadata = {"format": FORMAT, **device_info(device), "tf32": False, "cudnn_deterministic": True,
                "date": now.isoformat(timespec="seconds"), "cases": [c.slug for c in cases],
                "recorded_with": f"nnhw record-cuda {assignment_dir.name}"}
    _write_json(out / METADATA, metadata)
    return out


def _numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else value


def problems(assignment_dir, folder=None):
    """Why the stored recording does not match ``cuda_cases.py`` (empty when it does, or when
    there is no recording yet)."""
    cases = load_cases(assignment_dir)
    recording = load_recording(folder or Path(assignment_dir) / RECORDINGS_DIR)
    if recording is None:
        return []
    found = []
    if recording.metadata.get("device_type") != "cuda":
        found.append(f"{recording.folder} was recorded on {recording.metadata.get('device_type')}, not CUDA")
    recorded = {slugify(c["name"]): c for c in recording.cases}
    for case in cases:
        entry = recorded.pop(case.slug, None)
        if entry is None:
            found.append(f"case {case.name!r} is not recorded")
        elif entry["fingerprint"] != case.fingerprint():
            found.append(f"case {case.name!r} changed since it was recorded")
    found += [f"recorded case {c['name']!r} is no longer in {CASES_FILE}" for c in recorded.values()]
    return found


def instructor_warnings(assignment_dir):
    """Why graders without a GPU cannot grade the CUDA cases (empty when a valid recording is there)."""
    assignment_dir = Path(assignment_dir)
    if not (assignment_dir / CASES_FILE).is_file():
        return []
    if load_recording(assignment_dir / RECORDINGS_DIR) is None:
        return [f"there are no CUDA recordings in {assignment_dir / RECORDINGS_DIR}: run "
                f"`nnhw record-cuda {assignment_dir.name}` on a GPU machine and commit them"]
    return [f"{problem}: run `nnhw record-cuda {assignment_dir.name}` again" for problem in problems(assignment_dir)]
