"""The untrusted side: imports only the student's files and answers calls as data.

Run as a standalone script inside a private folder (copied there as ``_nnhw_worker.py``,
next to ``_nnhw_protocol.py`` and ``_nnhw_confine.py``), never imported by the grader. Before
the student's modules are imported it confines itself (Landlock, where the kernel offers it),
poisons forbidden APIs and turns TF32 off wherever torch is used. It reads requests from one
file descriptor and writes answers to another, so whatever the student prints cannot be
mistaken for an answer. Nothing it sends is trusted: the grader only reads data from it.
"""

import copy
import difflib
import importlib
import importlib.util
import os
import random
import sys
import traceback

import numpy as np

WORKDIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, WORKDIR)  # `python -I` leaves the script's folder off the path

import _nnhw_confine as confinement  # noqa: E402 - needs the path above
import _nnhw_protocol as protocol  # noqa: E402
from _nnhw_check import same_arguments  # noqa: E402
from _nnhw_protocol import Answer, ErrorKind, Op, error_report  # noqa: E402

# Captured before any student code runs: a student who monkeypatches numpy or copy in this
# process must not thereby hide that their function modified its arguments. (Everything the
# worker reports is still the student's word: answers are judged in the grader, never here.)
_ND, _ND_COPY, _ND_TOBYTES, _DEEPCOPY = np.ndarray, np.ndarray.copy, np.ndarray.tobytes, copy.deepcopy
_SEED_RANDOM, _SEED_NUMPY = random.seed, np.random.seed

#: what the global generators are seeded with before every call (see :func:`seed_global_generators`)
GLOBAL_SEED = 0


def seed_global_generators():
    """Seed Python's, numpy's and torch's global generators (torch's CPU one, where torch is imported).

    A student's code that draws from them without seeding them (a DataLoader shuffled without a
    generator, a fit that ignores its seed) then gives the same answer on every call with the same
    inputs, as hypothesis assumes, and the same grade on every run and machine. torch's own start-up
    seed is random, so without this such a fit's accuracy, and its partial credit, would change from
    one grading to the next. CUDA's generators are left alone: seeding them would initialise CUDA."""
    _SEED_RANDOM(GLOBAL_SEED)
    _SEED_NUMPY(GLOBAL_SEED)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.default_generator.manual_seed(GLOBAL_SEED)


class MissingName(Exception):
    """The requested function or class is not in the student's modules (not a LookupError: a KeyError
    the student's own code raises must be reported as that, not as a missing function)."""


class ForbiddenAPIError(RuntimeError):
    """Raised by every poisoned function and blocked import."""


class ForbiddenImportError(ForbiddenAPIError, ImportError):
    """A blocked import: still an ImportError to the student's code, but reported as a forbidden API,
    which fails the test at once (no input would make it allowed, so there is nothing to shrink)."""


class _BlockImports:
    """A meta-path finder that refuses whole packages (e.g. torch where autograd is off limits)."""

    def __init__(self, names, reason):
        self.names, self.reason = tuple(names), reason

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ForbiddenImportError(f"importing {fullname} is not allowed in this assignment: {self.reason}")
        return None


#: What poisoning replaced, by dotted name, so the worker itself can still use it (its own backward pass).
ORIGINALS = {}


class _Forbidden:
    """Stands in for a forbidden callable: calling it raises, and so does calling any overload of it
    (``torch.ops.aten.convolution.default``)."""

    def __init__(self, dotted, reason):
        self._dotted, self._reason = dotted, reason
        self.__name__ = dotted.rsplit(".", 1)[-1]

    def __call__(self, *args, **kwargs):
        raise ForbiddenAPIError(f"{self._dotted} is not allowed in this assignment: {self._reason}")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self


def _poisoned(dotted, reason):
    return _Forbidden(dotted, reason)


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
                original = getattr(owner, attr, None)
                setattr(owner, attr, _poisoned(dotted, reason))
                ORIGINALS.setdefault(dotted, original)
            except (AttributeError, TypeError):
                pass


def _no_tf32(torch):
    """Full float32 precision in matrix products and convolutions on GPUs that have TF32, as in the grader:
    a correct submission must not fail a tolerance because the hardware rounded to 10 bits."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


class _AfterImport:
    """A meta-path finder that runs ``then(module)`` right after ``name`` is first imported, by anyone."""

    def __init__(self, name, then):
        self.name, self.then = name, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                self.then(module)

            spec.loader.exec_module = exec_module
        return spec


def torch_without_tf32(blocked):
    """TF32 off in torch: now if torch is loaded, else the moment anything imports it (unless it is blocked)."""
    if "torch" in blocked:
        return
    if "torch" in sys.modules:
        _no_tf32(sys.modules["torch"])
    else:
        sys.meta_path.insert(0, _AfterImport("torch", _no_tf32))


def start(spec):
    """Confine this process, then poison forbidden APIs: all before any of the student's code runs."""
    reply = {"confinement": "none"}
    wanted = spec.get("confine")
    if wanted is not None:
        try:
            reply["confinement"] = confinement.confine_worker(WORKDIR, also_write=wanted.get("also_write", []))
        except confinement.ConfinementUnavailable as exc:
            reply["confinement_problem"] = str(exc)
    else:
        reply["confinement_problem"] = "Landlock was turned off (NNHW_NO_LANDLOCK=1)"
    poison = spec.get("poison", {})
    apply_poison(poison)
    torch_without_tf32(poison.get("block_imports", []))
    return reply


def _resolve_attribute_path(dotted):
    try:
        return protocol.resolve(dotted, importlib.import_module)
    except (ImportError, AttributeError):
        return None


def student_traceback(exc):
    """The traceback lines that lie in the student's files, not in the worker."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(WORKDIR)
              and not os.path.basename(f.filename).startswith("_nnhw_")]
    lines = traceback.format_list(frames)
    return "".join(lines + traceback.format_exception_only(type(exc), exc)).replace(WORKDIR + os.sep, "")


def _safe_str(exc):
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return f"<{type(exc).__name__} that cannot be printed>"


def describe_exception(exc):
    try:
        trace = student_traceback(exc)[-4000:]
    except BaseException:  # noqa: BLE001
        trace = ""
    kind = ErrorKind.FORBIDDEN if isinstance(exc, ForbiddenAPIError) else str(type(exc).__name__)[:100]
    return error_report(kind, _safe_str(exc)[:2000], trace)


def import_student_modules(names):
    modules, report = {}, {}
    for name in names:
        try:
            modules[name] = importlib.import_module(name)
            report[name] = {"ok": True}
        except SystemExit as exc:
            report[name] = {"ok": False, "error": _exit_report(exc)}
        except BaseException as exc:  # noqa: BLE001 - anything the student's import raises is data
            report[name] = {"ok": False, "error": describe_exception(exc)}
    return modules, report


def _exit_report(exc):
    return error_report(ErrorKind.SYSTEM_EXIT, f"exit({_safe_str(exc.code)[:200]})")


def make_tensor(array, dtype, device, requires_grad):
    import torch

    tensor = torch.from_numpy(np.array(array, copy=True)).to(dtype=getattr(torch, dtype), device=device)
    return tensor.requires_grad_(requires_grad)


def snapshot(value):
    if type(value) is _ND:
        return _ND_COPY(value)
    if type(value) in (list, tuple):
        return type(value)(snapshot(v) for v in value)
    if type(value) is dict:
        return {k: snapshot(v) for k, v in value.items()}
    try:
        return _DEEPCOPY(value)
    except Exception:  # noqa: BLE001 - an uncopyable argument is simply not checked
        return None


def unchanged(before, after):
    """``before`` (a snapshot) and ``after`` hold the same values; arrays byte for byte."""
    if before is None:
        return True
    if type(before) is _ND:
        return (type(after) is _ND and before.shape == after.shape and before.dtype == after.dtype
                and _ND_TOBYTES(before) == _ND_TOBYTES(after))
    if type(before) in (list, tuple):
        return type(after) in (list, tuple) and len(before) == len(after) and \
            all(unchanged(b, a) for b, a in zip(before, after))
    if type(before) is dict:
        return type(after) is dict and before.keys() == after.keys() and \
            all(unchanged(before[k], after[k]) for k in before)
    return same_arguments(before, after)


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
        head = target.split(".")[0]
        for module in self.modules.values():
            if hasattr(module, head):
                return protocol.resolve(target, lambda name: getattr(module, name))  # noqa: B023 - called at once
        names = [n for m in self.modules.values() for n in vars(m) if not n.startswith("_")]
        close = difflib.get_close_matches(head, names, n=1, cutoff=0.6)
        raise MissingName(f"did you mean {close[0]!r}? (rename it to {head!r})" if close else "")

    def call(self, request, payload):
        seed_global_generators()
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
        if request.get("op") == Op.TIME:
            return Answer(seconds=best_time(func, args, kwargs, int(request.get("repeat", 5))))
        before = [snapshot(a) for a in args], {k: snapshot(v) for k, v in kwargs.items()}
        result = func(*args, **kwargs)
        mutated = [str(i) for i, (b, a) in enumerate(zip(before[0], args)) if not unchanged(b, a)]
        mutated += [k for k, b in before[1].items() if not unchanged(b, kwargs[k])]
        if request.get("op") == Op.NEW:
            self.handles[len(self.handles)] = result
            return Answer(handle=len(self.handles) - 1, mutated=tuple(mutated))
        if wrt is None:
            return Answer(result=result, mutated=tuple(mutated))
        backward = ORIGINALS.get("torch.autograd.backward") or sys.modules["torch"].autograd.backward
        backward(result, payload["grad_output"])  # torch's own, even where students may not call it
        owner = self.handles.get(request.get("handle"))
        param_grads = {n: p.grad for n, p in owner.named_parameters()} \
            if owner is not None and hasattr(owner, "named_parameters") else None
        return Answer(result=result, mutated=tuple(mutated), grads=[args[i].grad for i in wrt],
                      param_grads=param_grads)


def serve(read_fd, write_fd):
    for fd in (read_fd, write_fd):  # a program the student's code runs does not get the channel
        os.set_inheritable(fd, False)
    reader = os.fdopen(read_fd, "rb", buffering=0)

    def write_all(data):
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]

    def send(seq, message, value=None):
        message = {**message, "seq": seq}  # the grader takes only the answer to the request it sent
        try:
            data = protocol.pack(message, value)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot travel as data is the student's problem
            data = protocol.pack({"ok": False, "seq": seq,
                                  "error": error_report(ErrorKind.UNGRADABLE, _safe_str(exc)[:500])})
        write_all(data)

    request, spec = protocol.unpack(reader.read)  # START: no student code has run yet
    try:
        send(request.get("seq"), {"ok": True, **start(spec)})
    except Exception as exc:  # noqa: BLE001 - Landlock present but refusing: the grader stops
        send(request.get("seq"), {"ok": False, "error": error_report(type(exc).__name__, _safe_str(exc)[:2000])})
        return
    request, spec = protocol.unpack(reader.read)  # IMPORT
    modules, report = import_student_modules(spec.get("modules", []))
    send(request.get("seq"), {"ok": True, "imports": report})
    worker = Worker(modules)
    while True:
        try:
            request, payload = protocol.unpack(reader.read, make_tensor)
        except EOFError:
            return
        seq = request.get("seq")
        try:
            answer = worker.call(request, payload or {})
        except MissingName as exc:
            send(seq, {"ok": False, "error": error_report(ErrorKind.MISSING, _safe_str(exc))})
            continue
        except SystemExit as exc:
            send(seq, {"ok": False, "error": _exit_report(exc)})
            continue
        except BaseException as exc:  # noqa: BLE001 - the student's exception is data for feedback
            send(seq, {"ok": False, "error": describe_exception(exc)})
            continue
        send(seq, {"ok": True}, answer.to_value())


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
