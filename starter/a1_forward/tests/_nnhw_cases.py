"""How a recorded public case is run: the same code records it with the reference (``nnhw build``) and
replays it with the student's code (the starter's public tests), so both sides mean the same thing.

Standalone (numpy; torch only for cases that hold tensors) because it is copied into starters.
A case is a dict ``{"name", "function", "args", "kwargs"}`` and optionally:

- ``"before"``: calls made first, ``[{"function", "args", "kwargs"}, ...]``; an argument
  :func:`answer_of` ``("batchnorm_forward", item=1)`` of a later call stands for what the code under
  test returned there (its own cache, say), so a backward pass is checked through the student's own forward;
- ``"parts"``: ``{"out": 0}``: only these items of the answer are recorded and compared (a cache is
  each student's own design), as ``{"out": answer[0]}``;
- ``"property"``: ``"module.function"`` in the assignment's ``public_tests/`` (copied into the
  starter's ``tests/``), called as ``function(answer, args, kwargs, earlier)`` (``earlier``: the
  ``before`` calls' answers); what it returns (booleans, numbers) is recorded and compared instead of the
  answer: a property on a fixed input, for answers that are random or not unique;
- for torch code, ``"grad_output"`` and ``"wrt"``: call, then back-propagate ``grad_output``; the answer is
  ``{"output": ..., "grads": [∂L/∂args[i] for i in wrt]}``;
- ``"module": True``: ``function`` is an ``nn.Module`` class built with ``args``/``kwargs``; the
  answer is ``{"parameters": {name: shape}}`` and, when the case has ``"state_dict"`` and
  ``"inputs"``, also ``"output"``: the module's answer to ``inputs`` with that state loaded
  (the module runs in the inputs' dtype).

``function`` may be dotted (``Conv2dFunction.apply``).
"""

import importlib

try:  # in the grader
    from autograder.protocol import resolve
except ImportError:  # copied into a starter, beside the protocol's copy
    from _nnhw_protocol import resolve


#: the key of an argument that stands for an earlier call's answer (see :func:`answer_of`)
ANSWER_OF = "your answer of"


def answer_of(function, item=None):
    """An argument that stands for what the code under test returned from the latest ``before`` call of
    ``function`` (its ``item``-th item where given): ``{"your answer of": "batchnorm_forward", "item": 1}``."""
    return {ANSWER_OF: function, "item": item}


def _filled(value, answers):
    """``value``, or the answer an :func:`answer_of` stands for (``answers``: ``[(function, answer)]`` so far)."""
    if isinstance(value, dict) and ANSWER_OF in value:
        answer = next(a for function, a in reversed(answers) if function == value[ANSWER_OF])
        return answer if value.get("item") is None else answer[value["item"]]
    return value


def _plain(function, call):
    return call()


def run(find, case, guard=_plain, find_property=None):
    """The answer ``case`` asks of the code that ``find`` looks names up in. ``guard(function, call)`` makes each
    call (a public test names the function that fails, a ``before`` one included); ``find_property`` finds a
    ``"property"`` (default: imported by its dotted name)."""
    answers = []
    for step in case.get("before") or ():
        answers.append((step["function"], _call(find, step, answers, guard)))
    answer = _call(find, case, answers, guard)
    if case.get("property"):
        check = (find_property or _imported)(case["property"])
        return check(answer, [_filled(a, answers) for a in case["args"]], dict(case.get("kwargs") or {}),
                     [a for _, a in answers])
    if case.get("parts"):
        return {part: answer[item] for part, item in case["parts"].items()}
    return answer


def _imported(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _call(find, case, answers, guard):
    function = resolve(case["function"], find)
    args = [_filled(a, answers) for a in case["args"]]
    kwargs = {k: _filled(v, answers) for k, v in dict(case.get("kwargs") or {}).items()}
    if case.get("module"):
        return guard(case["function"], lambda: _run_module(function, args, kwargs, case))
    if case.get("grad_output") is None:
        return guard(case["function"], lambda: function(*args, **kwargs))
    for i in case["wrt"]:
        args[i] = args[i].detach().clone().requires_grad_(True)
    output = guard(case["function"], lambda: function(*args, **kwargs))
    guard(case["function"], lambda: output.backward(case["grad_output"]))  # the student's backward runs here
    return {"output": output.detach(), "grads": [args[i].grad for i in case["wrt"]]}


def _run_module(cls, args, kwargs, case):
    module = cls(*args, **kwargs)
    answer = {"parameters": {name: tuple(value.shape) for name, value in module.state_dict().items()}}
    if case.get("state_dict") is not None:
        inputs = case["inputs"]
        module = module.to(inputs[0].dtype)
        module.load_state_dict(case["state_dict"])
        answer["output"] = module(*inputs).detach()
    return answer


def extra_arguments(case):
    """``{name: value}`` of what the code under test receives besides its arguments (``grad_output``,
    ``state_dict``, ``inputs``), to check it leaves them unchanged too."""
    return {key: case[key] for key in ("grad_output", "state_dict", "inputs") if case.get(key) is not None}
