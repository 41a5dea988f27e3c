"""The untrusted side: imports only the student's files and answers calls as data.

Run as a standalone script inside a private folder (copied there as ``_nnhw_worker.py``,
next to ``_nnhw_protocol.py``), never imported by the grader. It reads requests from one
file descriptor and writes answers to another, so whatever the student prints cannot be
mistaken for an answer. Nothing it sends is trusted: the grader only reads data from it.
"""

import copy
import importlib
import os
import sys
import traceback

import numpy as np

WORKDIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, WORKDIR)  # `python -I` leaves the script's folder off the path

import _nnhw_protocol as protocol  # noqa: E402 - needs the path above
from _nnhw_check import same_arguments  # noqa: E402


class ForbiddenAPIError(RuntimeError):
    """Raised by every poisoned function and blocked import."""


class _BlockImports:
    """A meta-path finder that refuses whole packages (e.g. torch where autograd is off limits)."""

    def __init__(self, names, reason):
        self.names, self.reason = tuple(names), reason

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ImportError(f"importing {fullname} is not allowed in this assignment: {self.reason}")
        return None


def _poisoned(dotted, reason):
    def forbidden(*args, **kwargs):
        raise ForbiddenAPIError(f"{dotted} is not allowed in this assignment: {reason}")

    forbidden.__name__ = dotted.rsplit(".", 1)[-1]
    return forbidden


def apply_poison(spec):
    """Block imports and replace forbidden callables *before* the student's module is imported."""
    reason = spec.get("reason", "")
    blocked = spec.get("block_imports", [])
    if blocked:
        for name in list(sys.modules):
            if name.split(".")[0] in blocked:
                del sys.modules[name]
        sys.meta_path.insert(0, _BlockImports(blocked, reason))
    for dotted in spec.get("attributes", []):
        owner_path, _, attr = dotted.rpartition(".")
        try:
            owner = importlib.import_module(owner_path)
        except ImportError:
            owner = _resolve_attribute_path(owner_path)
        if owner is not None:
            try:
                setattr(owner, attr, _poisoned(dotted, reason))
            except (AttributeError, TypeError):
                pass


def _resolve_attribute_path(dotted):
    head, *rest = dotted.split(".")
    try:
        obj = importlib.import_module(head)
        for part in rest:
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        return None


def student_traceback(exc):
    """The traceback lines that lie in the student's files, not in the worker."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(WORKDIR)
              and not os.path.basename(f.filename).startswith("_nnhw_")]
    lines = traceback.format_list(frames)
    return "".join(lines + traceback.format_exception_only(type(exc), exc)).replace(WORKDIR + os.sep, "")


def describe_exception(exc):
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": student_traceback(exc)[-4000:]}


def import_student_modules(names):
    modules, report = {}, {}
    for name in names:
        try:
            modules[name] = importlib.import_module(name)
            report[name] = {"ok": True}
        except SystemExit as exc:
            report[name] = {"ok": False, "error": {"type": "SystemExit", "message": f"exit({exc.code})", "traceback": ""}}
        except BaseException as exc:  # noqa: BLE001 - anything the student's import raises is data
            report[name] = {"ok": False, "error": describe_exception(exc)}
    return modules, report


def make_tensor(array, dtype, device, requires_grad):
    import torch

    tensor = torch.from_numpy(np.array(array, copy=True)).to(dtype=getattr(torch, dtype), device=device)
    return tensor.requires_grad_(requires_grad)


def snapshot(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable argument is simply not checked
        return None


def best_time(func, args, kwargs, repeat):
    """Best wall time of ``repeat`` calls (after one warm-up), waiting for CUDA to finish each."""
    import time

    def synchronize():
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()

    func(*args, **kwargs)
    best = float("inf")
    for _ in range(max(1, min(repeat, 100))):
        synchronize()
        start = time.perf_counter()
        func(*args, **kwargs)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best


class Worker:
    def __init__(self, modules):
        self.modules = modules
        self.handles = {}

    def find(self, target):
        head, *rest = target.split(".")
        for module in self.modules.values():
            if hasattr(module, head):
                obj = getattr(module, head)
                for part in rest:
                    obj = getattr(obj, part)
                return obj
        raise LookupError(target)

    def call(self, request, payload):
        args, kwargs = list(payload.get("args", [])), dict(payload.get("kwargs", {}))
        if "handle" in request:
            obj = self.handles[request["handle"]]
            func = obj if request.get("method") == "__call__" else getattr(obj, request["method"])
        else:
            func = self.find(request["target"])
        wrt = request.get("wrt")
        if wrt is not None:
            for index in wrt:
                args[index] = args[index].detach().requires_grad_(True)
        if request.get("op") == "time":
            return {"result": None, "seconds": best_time(func, args, kwargs, int(request.get("repeat", 5))), "mutated": []}
        before = [snapshot(a) for a in args], {k: snapshot(v) for k, v in kwargs.items()}
        result = func(*args, **kwargs)
        mutated = [str(i) for i, (b, a) in enumerate(zip(before[0], args)) if b is not None and not same_arguments(b, a)]
        mutated += [k for k, b in before[1].items() if b is not None and not same_arguments(b, kwargs[k])]
        if request.get("op") == "new":
            self.handles[len(self.handles)] = result
            return {"handle": len(self.handles) - 1, "mutated": mutated}
        answer = {"result": result, "mutated": mutated}
        if wrt is not None:
            result.backward(payload["grad_output"])
            answer["grads"] = [args[i].grad for i in wrt]
            if hasattr(func, "named_parameters") or "handle" in request:
                owner = self.handles.get(request.get("handle"))
                if owner is not None and hasattr(owner, "named_parameters"):
                    answer["param_grads"] = {n: p.grad for n, p in owner.named_parameters()}
        return answer


def serve(read_fd, write_fd):
    reader = os.fdopen(read_fd, "rb", buffering=0)
    writer = os.fdopen(write_fd, "wb", buffering=0)

    def send(message, value=None):
        try:
            data = protocol.pack(message, value)
        except (protocol.ProtocolError, TypeError, ValueError) as exc:
            data = protocol.pack({"ok": False, "error": {"type": "UngradableResult", "message": str(exc), "traceback": ""}})
        writer.write(data)

    init, spec = protocol.unpack(reader.read)
    apply_poison(spec.get("poison", {}))
    modules, report = import_student_modules(spec.get("modules", []))
    send({"ok": True, "ready": True, "imports": report})
    worker = Worker(modules)
    while True:
        try:
            request, payload = protocol.unpack(reader.read, make_tensor)
        except EOFError:
            return
        try:
            answer = worker.call(request, payload or {})
        except LookupError as exc:
            send({"ok": False, "error": {"type": "Missing", "message": str(exc), "traceback": ""}})
            continue
        except SystemExit as exc:
            send({"ok": False, "error": {"type": "SystemExit", "message": f"exit({exc.code})", "traceback": ""}})
            continue
        except BaseException as exc:  # noqa: BLE001 - the student's exception is data for feedback
            send({"ok": False, "error": describe_exception(exc)})
            continue
        send({"ok": True}, answer)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
