"""Public tests: your functions against outputs recorded from the reference solution.

Run them from the assignment folder with:  python -m pytest tests
They check a few fixed examples; the autograder checks many more (random shapes and values,
extreme inputs), so passing here is a good sign, not a guarantee.
"""

import copy
import importlib
import json
import sys
import unicodedata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from _nnhw_cases import extra_arguments, run  # noqa: E402
from _nnhw_check import IN_PLACE, Check, describe, same_arguments  # noqa: E402
from _nnhw_diagnosis import Diagnoser, RecordedLab, crash_relation, none_gradient  # noqa: E402
from _nnhw_feedback import answer, fail, feedback_only, stop_unless_importable  # noqa: E402
from _nnhw_protocol import call_signature, from_json_data, gradient_count  # noqa: E402

stop_unless_importable()

TORCH_CPU = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


class NeedsTorch:
    """Stands for a recorded tensor where torch is not installed: its case fails and says what to do."""


def make_tensor(array, dtype, device, requires_grad):
    try:
        import torch
    except ImportError:
        return NeedsTorch()
    return torch.from_numpy(array.copy()).to(getattr(torch, dtype)).requires_grad_(requires_grad)


RECORDED = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
CASES = from_json_data(RECORDED["cases"], make_tensor)
#: per case, the experiment that names a likely cause where your answer is wrong (recorded with the cases)
DIAGNOSES = from_json_data(json.loads((HERE / "causes.json").read_text(encoding="utf-8"))["cases"]) \
    if (HERE / "causes.json").is_file() else [None] * len(CASES)
for _case, _table in zip(CASES, DIAGNOSES):
    _case["diagnosis"] = _table


def find(name):
    for module_name in RECORDED["modules"]:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return getattr(module, name)
    pytest.fail(f"{name}: not found in {', '.join(m + '.py' for m in RECORDED['modules'])}")


def _needs_torch(value):
    if isinstance(value, NeedsTorch):
        return True
    if isinstance(value, (list, tuple)):
        return any(_needs_torch(v) for v in value)
    return isinstance(value, dict) and any(_needs_torch(v) for v in value.values())


def _inputs(case):
    try:
        signature = call_signature(case["function"], find)  # Conv2dFunction.apply's are its forward's, after ctx
        return dict(signature.bind(*case["args"], **case["kwargs"]).arguments)
    except (TypeError, ValueError) as exc:
        if case.get("module") or "." in case["function"]:
            return {"args": case["args"], **case["kwargs"]}
        fail(f"{case['function']}: cannot be called as the handout says ({exc})")


def _explain(error, inputs):
    """The likely cause of an error your code raised, where its message shows one."""
    return gradient_count(str(error), inputs) or crash_relation(type(error).__name__, str(error))


def shape_of(expected):
    if isinstance(expected, dict):  # a backward's or a layer's answer: each part by its name
        return "; ".join(f"{key}: {shape_of(value)}" for key, value in expected.items())
    if isinstance(expected, (list, tuple)):
        return f"{len(expected)} items: " + ", ".join(shape_of(e) for e in expected)
    return describe(expected, 0) if hasattr(expected, "shape") else type(expected).__name__


#: symbols of the cases' names and what a test id spells them as
ASCII = {"→": "->", "←": "<-", "×": "x", "−": "-", "–": "-", "—": "-", "…": "...", "≤": "<=", "≥": ">=", "·": "*"}


def readable_id(name):
    """``name`` in ASCII: pytest prints every other character of a test id escaped (``3 \\u2192 2``)."""
    text = unicodedata.normalize("NFKD", "".join(ASCII.get(ch, ch) for ch in name))  # ŷ → y + a combining ^
    return "".join(ch if ch.isascii() else "" if unicodedata.combining(ch) else
                   unicodedata.name(ch, "?").split()[-1].lower() for ch in text)  # σ → sigma


def _lab(case):
    """The experiment recorded for ``case`` at build time: a likely cause is named only where your code, run
    again on the recorded probes, does what that cause predicts (as the autograder does)."""
    if not case.get("diagnosis"):
        return None

    def run_probe(args, kwargs):
        return run(find, {"function": case["function"], "args": copy.deepcopy(args), "kwargs": copy.deepcopy(kwargs)})
    return lambda: RecordedLab(case["diagnosis"], run_probe, case["expected"])


@pytest.mark.parametrize("case", CASES, ids=[readable_id(case["name"]) for case in CASES])
@feedback_only
def test_recorded_case(case):
    name = case["function"]
    if _needs_torch(case):
        fail(f"{name}: this test needs PyTorch; install its CPU build with: {TORCH_CPU}")
    given = copy.deepcopy(case)
    inputs = _inputs(given)  # the very objects your code receives, so a change in place shows
    shown = copy.deepcopy(inputs)
    check = Check(name, shown, diagnose=Diagnoser(_lab(case)), outputs=RECORDED.get("outputs", {}).get(name))
    got = run(find, given, lambda function, call: answer(function, call, shown, [
        "expected: " + shape_of(case["expected"])], explain=lambda exc: _explain(exc, inputs)))
    changed = [key for key, value in inputs.items() if not same_arguments(shown[key], value)]
    changed += [key for key, value in extra_arguments(given).items()
                if not same_arguments(extra_arguments(case)[key], value)]
    if changed:
        check.fail(f"modified its argument{'s' if len(changed) > 1 else ''} {' and '.join(changed)} in "
                   "place; functions must return new arrays and leave their arguments unchanged", diagnosis=IN_PLACE)
    for what, part, want in _parts(got, case["expected"], [list(inputs)[i] for i in case.get("wrt") or ()]):
        if part is None and want is not None and what and what.startswith(GRADIENT):
            check.fail(f"{what} is None", diagnosis=none_gradient(what[len(GRADIENT):]))
        check.matches(part, want, what)


GRADIENT = "the gradient of "
#: how a layer's or a backward pass's answer is named, part by part (not "the result, parameter output")
PARTS = {"parameters": "the layer's state_dict shapes", "output": "the output"}


def _parts(got, expected, wrt):
    """``[(what, got part, expected part)]``: a case with ``output`` compared part by part under the names a student
    knows, each gradient by the input it belongs to; any other answer whole."""
    if not (isinstance(expected, dict) and "output" in expected and isinstance(got, dict) and got.keys() == expected.keys()):
        return [(None, got, expected)]
    parts = [(PARTS.get(key, key), got[key], value) for key, value in expected.items() if key != "grads"]
    grads = got.get("grads")
    if isinstance(grads, (list, tuple)) and len(grads) == len(expected.get("grads", ())) == len(wrt):
        return parts + [(f"{GRADIENT}{name}", g, e) for name, g, e in zip(wrt, grads, expected["grads"])]
    return parts + ([("the gradients", grads, expected["grads"])] if "grads" in expected else [])
