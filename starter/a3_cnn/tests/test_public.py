"""Public tests: your functions against outputs recorded from the reference solution.

Run them from the assignment folder with:  python -m pytest tests
They check a few fixed examples; the autograder checks many more (random shapes and values,
extreme inputs), so passing here is a good sign, not a guarantee.
"""

import copy
import importlib
import inspect
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from _nnhw_cases import arguments, resolve, run  # noqa: E402
from _nnhw_check import Check, same_arguments  # noqa: E402
from _nnhw_protocol import from_json_data  # noqa: E402

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
        signature = inspect.signature(resolve(find, case["function"]))
        return dict(signature.bind(*case["args"], **case["kwargs"]).arguments)
    except (TypeError, ValueError) as exc:
        if case.get("module") or "." in case["function"]:
            return {"args": case["args"], **case["kwargs"]}
        pytest.fail(f"{case['function']}: cannot be called as the handout says ({exc})")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_recorded_case(case):
    if _needs_torch(case):
        pytest.fail(f"{case['function']}: this test needs PyTorch; install its CPU build with: {TORCH_CPU}")
    check = Check(case["function"], copy.deepcopy(_inputs(case)))
    given = copy.deepcopy(case)
    try:
        got = run(find, given)
    except NotImplementedError:
        pytest.fail(f"{case['function']}: not implemented yet")
    if not same_arguments(arguments(case), arguments(given)):
        check.fail("modified its arguments in place; return new arrays and leave the arguments unchanged")
    check.matches(got, case["expected"])
