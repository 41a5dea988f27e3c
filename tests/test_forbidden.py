"""Forbidden APIs: every attribute an assignment's config poisons really is poisoned in the worker.

The worker replaces each dotted name in ``[forbidden] attributes`` before the student's files
are imported, and silently skips one it cannot replace, so a config could list a name that
protects nothing. These tests run a real worker (with the assignment's own limits, so they also
prove torch imports under its memory limit) holding a probe module, and ask it about each name.
"""

import textwrap

import pytest
from conftest import ROOT

from autograder.course import Course
from autograder.sandbox import Worker

pytestmark = pytest.mark.needs_torch  # grades, or builds, an assignment (the grader imports torch)

PROBE = textwrap.dedent('''
    import importlib

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.functional import conv2d as captured_at_import

    def _resolve(dotted):
        head, *rest = dotted.split(".")
        obj = importlib.import_module(head)
        for part in rest:
            obj = getattr(obj, part)
        return obj

    def verdicts(names):
        """{name: the type of what calling it raised, or "returned"}."""
        found = {}
        for name in names:
            try:
                _resolve(name)()
                found[name] = "returned"
            except BaseException as exc:
                found[name] = type(exc).__name__
        return found

    def captured():
        try:
            captured_at_import(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 2, 2))
            return "returned"
        except BaseException as exc:
            return type(exc).__name__

    def overload():
        try:
            torch.ops.aten.convolution.default
            torch.ops.aten.convolution.default(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 2, 2), None,
                                               [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
            return "returned"
        except BaseException as exc:
            return type(exc).__name__

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return x * self.weight

    def layer(x):
        return Layer()(x)
''')


def assignments_with_poison():
    return [a for a in Course(ROOT).assignments() if a.config.forbidden.attributes]


@pytest.fixture(scope="module", params=[a.id for a in assignments_with_poison()] or [None])
def worker(request, tmp_path_factory):
    if request.param is None:
        pytest.skip("no assignment poisons anything")
    assignment = Course(ROOT).assignment(request.param)
    probe = tmp_path_factory.mktemp("probe") / "probe.py"
    probe.write_text(PROBE)
    live = Worker({"probe.py": probe}, ["probe"], assignment.config.limits, assignment.config.forbidden.poison())
    yield assignment, live
    live.close()


def ask(worker, target, *args, grad_output=None, **extra):
    payload = {"args": list(args), "kwargs": {}}
    if grad_output is not None:
        payload["grad_output"] = grad_output
    reply, answer = worker.request({"op": "call", "target": target, **extra}, payload)
    assert reply.get("ok"), reply
    return answer


def test_every_forbidden_attribute_is_poisoned(worker):
    """Under the assignment's own limits: torch imports, and each listed attribute raises ForbiddenAPIError."""
    assignment, live = worker
    assert live.imports["probe"]["ok"], live.imports["probe"]
    names = list(assignment.config.forbidden.attributes)
    verdicts = ask(live, "verdicts", names)["result"]
    not_poisoned = {name: verdict for name, verdict in verdicts.items() if verdict != "ForbiddenAPIError"}
    assert not not_poisoned, f"{assignment.id}: these [forbidden] attributes are not poisoned: {not_poisoned}"


def test_references_taken_at_import_and_overloads_are_poisoned(worker):
    assignment, live = worker
    if "torch.nn.functional.conv2d" not in assignment.config.forbidden.attributes:
        pytest.skip("the assignment does not forbid F.conv2d")
    assert ask(live, "captured")["result"] == "ForbiddenAPIError"
    if "torch.ops.aten.convolution" in assignment.config.forbidden.attributes:
        assert ask(live, "overload")["result"] == "ForbiddenAPIError"


def test_modules_and_the_workers_own_backward_still_work(worker):
    """Poisoning nn.Conv2d.forward and Tensor.backward breaks neither nn.Module nor call_with_grad."""
    import torch

    _, live = worker
    x = torch.arange(3.0)
    answer = ask(live, "layer", x, wrt=[0], grad_output=torch.ones(3))
    assert torch.equal(torch.as_tensor(answer["result"]), x)
    assert torch.equal(torch.as_tensor(answer["grads"][0]), torch.ones(3))


# -- the static check ------------------------------------------------------------------------------
SOURCE = '''
"""A docstring may mention F.conv2d and torch.autograd.grad freely."""
import torch
import torch.nn.functional as F
from torch.nn.functional import conv2d as c
from torch.autograd import grad


def conv2d(x, w):
    """Our own conv2d; calling it by name is fine."""
    if x.dim() == 3:
        return conv2d(x[None], w)[0]
    y = F.conv2d(x, w)
    z = torch.ops.aten.convolution.default(x, w)
    y.backward()
    return torch.autograd.grad(y, x), getattr(F, "conv" + "2d"), convolution_count
'''


def test_static_check_dotted_names_match_attribute_chains_and_imports():
    from autograder.kit.static import forbidden_uses

    found = forbidden_uses(SOURCE, [".conv2d", "autograd.grad", ".backward"])
    assert found == [(5, "torch.nn.functional.conv2d"), (6, "torch.autograd.grad"), (13, "F.conv2d"),
                     (15, "y.backward"), (16, "torch.autograd.grad")]


def test_static_check_plain_names_match_identifiers_attributes_and_strings_but_not_docstrings():
    from autograder.kit.static import forbidden_uses

    assert forbidden_uses(SOURCE, ["convolution"]) == [(14, "torch.ops.aten.convolution"), (16, "convolution_count")]
    assert forbidden_uses(SOURCE, ["conv2d"])[0] == (5, "torch.nn.functional.conv2d")  # plain: the own one too
    assert (12, "conv2d") in forbidden_uses(SOURCE, ["conv2d"])
    assert forbidden_uses("x = 'torch.conv2d'", [".conv2d"]) == [(1, "torch.conv2d")]
    assert forbidden_uses("def f(:", ["x"]) == []
