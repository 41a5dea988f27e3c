"""How a recorded public case is run: the same code records it with the reference (``nnhw build``) and
replays it with the student's code (the starter's public tests), so both sides mean the same thing.

Standalone (numpy; torch only for cases that hold tensors) because it is copied into starters.
A case is a dict ``{"name", "function", "args", "kwargs"}`` and, for torch code, optionally:

- ``"grad_output"`` and ``"wrt"``: call, then back-propagate ``grad_output``; the answer is
  ``{"output": ..., "grads": [∂L/∂args[i] for i in wrt]}``;
- ``"module": True``: ``function`` is an ``nn.Module`` class built with ``args``/``kwargs``; the
  answer is ``{"parameters": {name: shape}}`` and, when the case has ``"state_dict"`` and
  ``"inputs"``, also ``"output"``: the module's answer to ``inputs`` with that state loaded
  (the module runs in the inputs' dtype).

``function`` may be dotted (``Conv2dFunction.apply``).
"""


try:  # in the grader
    from autograder.protocol import resolve
except ImportError:  # copied into a starter, beside the protocol's copy
    from _nnhw_protocol import resolve


def run(find, case):
    """The answer ``case`` asks of the code that ``find`` looks names up in."""
    function = resolve(case["function"], find)
    args, kwargs = list(case["args"]), dict(case.get("kwargs", {}))
    if case.get("module"):
        return _run_module(function, args, kwargs, case)
    if case.get("grad_output") is None:
        return function(*args, **kwargs)
    for i in case["wrt"]:
        args[i] = args[i].detach().clone().requires_grad_(True)
    output = function(*args, **kwargs)
    output.backward(case["grad_output"])
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
