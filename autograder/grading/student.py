"""The student's code as the graded tests see it: a proxy whose calls run in the worker.

``student.sigmoid(z)`` sends ``z`` to the worker as data, runs the student's ``sigmoid``
there and returns the answer as data. Everything that can go wrong on the way becomes a
:class:`StudentCodeError` whose message is feedback a student can act on.
"""

import functools
import inspect
import time

from autograder import protocol
from autograder.check import LIKELY_CAUSE, Feedback, describe
from autograder.protocol import INPUT_INDEPENDENT, Answer, ErrorKind, Op
from autograder.sandbox import Worker, WorkerFailure


class StudentCodeError(AssertionError):
    """The student's code failed to produce an answer on these inputs; the message says how.

    ``raised`` is the name of the exception type the student's code raised ("ValueError"),
    or None when it failed some other way, so that tests of "must raise" can tell them apart.
    ``feedback`` is the structured value a student reads (rendered with or without the inputs);
    ``brief`` is its first part, without inputs or formula.
    """

    def __init__(self, brief, raised=None, inputs=None, feedback=None):
        self.feedback = feedback or Feedback(None, brief, inputs=inputs)
        super().__init__(self.feedback.render())
        self.brief, self.raised = brief, raised


class StudentCodeAbort(BaseException):
    """A failure no other input would cure (not implemented, missing, crashed, hung).

    A ``BaseException`` on purpose: hypothesis lets it through instead of shrinking, so a
    stub or an endless loop costs one call, not a hundred.
    """


@functools.lru_cache(maxsize=256)
def _cached_signature(function):
    return inspect.signature(function)


def _signature(function):
    """``inspect.signature``, once per function: it is asked for on every call a test makes."""
    try:
        hash(function)
    except TypeError:  # a callable object that cannot be a cache key
        return inspect.signature(function)
    return _cached_signature(function)


def _named_inputs(function, args, kwargs):
    """``{name: value}`` of a call of ``function`` (or of an ``inspect.Signature``), ``arg0 ...`` where it cannot bind."""
    try:
        signature = function if isinstance(function, inspect.Signature) else _signature(function)
        return dict(signature.bind(*args, **kwargs).arguments)
    except (TypeError, ValueError, AttributeError):
        return {**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}


def _last_output(output):
    output = (output or "").strip()
    return f"\nlast output of your code:\n{output[-1500:]}" if output else ""


def _show_inputs(inputs):
    return "\n".join("  " + f"{k} = {describe(v)}".replace("\n", "\n    ") for k, v in inputs.items())


class _Text(str):
    """Text shown as it is among the inputs (``describe`` would quote it)."""

    def __repr__(self):
        return str(self)


class Session:
    """A submission being graded: which files it has, and a worker that is restarted after a crash.

    A crash or hang is *sticky* within one test: later calls in the same test fail at once with
    the same message, so hypothesis cannot turn one endless loop into a hundred timeouts.
    A failure while importing is sticky for the whole session (it would happen every time).
    """

    MAX_RESTARTS = 50
    INPUT_INDEPENDENT = INPUT_INDEPENDENT

    def __init__(self, files, given, reference, config, helpers=None):
        self.files = {name: path for name, path in files.items() if path is not None}
        self.missing = sorted(name for name, path in files.items() if path is None)
        self.given, self.reference, self.config = dict(given), reference, config
        self.helpers = dict(helpers or {})  # the assignment's worker_modules: imported after the student's files
        self.worker, self.fatal, self.broken, self.restarts = None, None, None, 0
        self.last_mutated = []
        self.spent_test = self.spent_total = 0.0  # seconds spent waiting for the student's code
        self.confinements = set()  # what each worker started had: "landlock ABI 7 + uid drop", ...
        self.signatures = {}  # target -> the reference's call signature (see _reference_signature)
        self.called = set()  # the names the running test asked the worker for (``Conv2d`` for ``Conv2d.forward``)

    # -- lifecycle -------------------------------------------------------------------
    def start_test(self):
        self.fatal = None
        self.last_mutated = []
        self.spent_test = 0.0
        self.called = set()

    def close(self):
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def _ensure_worker(self):
        if self.broken:
            raise StudentCodeAbort(self.broken)
        if self.worker is None:
            if self.restarts >= self.MAX_RESTARTS:
                self.broken = f"your code crashed the worker {self.restarts} times; the remaining tests are not run"
                raise StudentCodeAbort(self.broken)
            self.restarts += 1
            modules = [name[:-3] for name in [*self.files, *self.helpers]]
            files = {**self.files, **self.given, **self.helpers}  # ours win over a student's copy of them
            try:
                self.worker = Worker(files, modules, self.config.limits, self.config.forbidden.poison())
                self.confinements.add(self.worker.confinement)
            except WorkerFailure as exc:
                if exc.confinement is not None:  # the student's import ran (and failed) under it
                    self.confinements.add(exc.confinement)
                self.broken = (f"your code could not even be loaded: it {exc} while importing "
                               f"{', '.join(self.files)}" + _last_output(exc.output))
                raise StudentCodeAbort(self.broken) from None
        return self.worker

    # -- calls -----------------------------------------------------------------------
    def _file_problem(self, target):
        stem = self.reference.module_of(target) if self.reference is not None else None
        filename = f"{stem}.py" if stem else None
        if filename in self.missing:
            return f"{target}: {filename} was not found in your submission, so {target} cannot be graded"
        report = self.worker.imports.get(stem) if stem and self.worker else None
        if report and not report.get("ok"):
            error = report["error"]
            detail = (error.get("traceback") or f"{error['type']}: {error['message']}").rstrip()
            return f"{target}: {filename} could not be imported, so nothing in it can be graded:\n{detail}"
        return None

    @property
    def confinement(self):
        """The confinement the student's code ran under ("landlock ABI 7 + uid drop"; None if it never ran)."""
        return " / ".join(sorted(self.confinements)) or None

    def request(self, target, args=(), kwargs=None, built=None, **extra):
        """Run one call in the worker; returns its :class:`~autograder.protocol.Answer`. ``built``: the
        ``(args, kwargs)`` an object's class was constructed with, shown first among the inputs of its method calls."""
        kwargs = kwargs or {}
        self.called.add(target.split(".")[0])
        inputs = _named_inputs(self._reference_signature(target), args, kwargs)
        if built is not None:
            inputs = {"built as": self.construction(target.split(".")[0], *built), **inputs}
        if self.fatal:
            raise StudentCodeAbort(self.fatal)
        problem = self._file_problem(target)
        if problem:
            raise StudentCodeAbort(problem)
        self._check_budget(target)
        started = time.monotonic()
        try:
            worker = self._ensure_worker()
        finally:
            self._spend(started)
        problem = self._file_problem(target)
        if problem:
            raise StudentCodeAbort(problem)
        message = {"op": extra.pop("op", Op.CALL), "target": target, **extra}
        payload = {"args": list(args), "kwargs": kwargs}
        if "grad_output" in message:
            payload["grad_output"] = message.pop("grad_output")
        started = time.monotonic()
        try:
            reply, answer = worker.request(message, payload)
        except WorkerFailure as exc:
            self.close()
            self.fatal = f"{target}: your code {exc} on these inputs:\n{_show_inputs(inputs)}" + _last_output(exc.output)
            raise StudentCodeAbort(self.fatal) from None
        finally:
            self._spend(started)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            kind = str(error.get("type"))
            explanation = self._explain(target, error, inputs) if not self._nobody_defines(target, kind) else \
                self.NOBODY_DEFINES.format(target=target)
            if kind in self.INPUT_INDEPENDENT:
                raise StudentCodeAbort(explanation)
            crashed = kind != ErrorKind.UNGRADABLE  # a crash depends on the inputs: show them
            raise StudentCodeError(explanation, raised=kind, inputs=_show_inputs(inputs) if crashed else None)
        if not isinstance(answer, dict):
            raise StudentCodeError(f"{target}: the worker sent a malformed answer")
        answer = Answer.from_value(answer)
        self.last_mutated = list(answer.mutated)
        return answer

    def _spend(self, started):
        spent = time.monotonic() - started
        self.spent_test += spent
        self.spent_total += spent

    def _check_budget(self, target):
        """Time limits beyond one call's: a function that always takes just under the timeout, or a
        submission that is slow everywhere, must not run past Gradescope's own timeout (which scores 0)."""
        limits = self.config.limits
        if self.spent_total >= limits.total_budget_s:
            self.broken = (f"your code used up this submission's time budget ({limits.total_budget_s:g} s in your "
                           "functions altogether), so the remaining tests were not run: look for very slow code")
            raise StudentCodeAbort(self.broken)
        if self.spent_test >= limits.test_budget:
            self.fatal = (f"{target}: this test was stopped after {self.spent_test:.0f} s in your code (at most "
                          f"{limits.test_budget:g} s per test): your code is far too slow on these inputs")
            raise StudentCodeAbort(self.fatal)

    def construction(self, class_name, args, kwargs):
        """``Conv2d(in_channels=3, out_channels=4, kernel_size=3, padding=1)``: how the object a call went to was
        built, its arguments by name (a layer's output depends on them as much as on its input)."""
        named = _named_inputs(self._reference_signature(class_name), args, kwargs)
        return _Text(f"{class_name}({', '.join(f'{name}={describe(value)}' for name, value in named.items())})")

    def _reference_function(self, target):
        try:
            obj = protocol.resolve(target, lambda head: getattr(self.reference, head))
            return obj if callable(obj) else None
        except AttributeError:
            return None

    def _reference_signature(self, target):
        """The parameters the reference's ``target`` names its arguments by (an autograd Function's ``apply`` and a
        module's ``__call__`` by their ``forward``'s), or None; asked for on every call, so worked out once."""
        if target not in self.signatures:
            try:
                self.signatures[target] = protocol.call_signature(target, lambda head: getattr(self.reference, head))
            except (AttributeError, TypeError, ValueError):
                self.signatures[target] = None
        return self.signatures[target]

    #: a name missing from the reference too: the test's typo, so no student is told to rename to it
    NOBODY_DEFINES = ("{target}: the autograder asks for {target}, which the reference solution does not define "
                      "either: this test is broken, not your code; please tell your instructor")

    def _nobody_defines(self, target, kind):
        return kind == ErrorKind.MISSING and self.reference is not None and self.reference.module_of(target) is None

    @staticmethod
    def _explain(target, error, inputs=None):
        kind, text = str(error.get("type", "")), str(error.get("message", ""))
        trace = str(error.get("traceback", "")).rstrip()
        if kind == ErrorKind.NOT_IMPLEMENTED:
            return f"{target}: not implemented yet (it raises NotImplementedError)"
        if kind == ErrorKind.MISSING:
            return f"{target}: your submission has no function or class named {target}" + (f"; {text}" if text else "")
        if kind == ErrorKind.UNGRADABLE:
            return (f"{target}: returned {text}, which cannot be graded; return numpy arrays, numbers, "
                    f"tensors, or lists/tuples of them, as the handout says")
        if kind == ErrorKind.FORBIDDEN:  # "<what> is not allowed in this assignment: <why>"
            what, _, why = text.partition(": ")
            return f"{target}: uses a forbidden API: {what}" + (f"\n{LIKELY_CAUSE}{why}" if why else "")
        cause = protocol.gradient_count(text, inputs or {})  # torch's frames say less than the rule broken
        return f"{target} raised {kind}: {text}\n" + (f"{LIKELY_CAUSE}{cause}" if cause else trace)

    def mutated_inputs(self):
        return list(self.last_mutated)


class Student:
    """``student.sigmoid(z)`` calls the student's ``sigmoid`` in the worker and returns its result."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _RemoteFunction(self._session, name)

    def call(self, target, *args, **kwargs):
        return self._session.request(target, args, kwargs).result

    def call_with_grad(self, target, *args, wrt, grad_output, **kwargs):
        """Call, then back-propagate ``grad_output``; returns ``(result, [grads of args in wrt])``."""
        answer = self._session.request(target, args, kwargs, wrt=list(wrt), grad_output=grad_output)
        return answer.result, answer.grads

    def time(self, target, *args, repeat=5, **kwargs):
        """Best wall time in seconds of the student's ``target(*args)`` in the worker (for leaderboards)."""
        return self._session.request(target, args, kwargs, op=Op.TIME, repeat=repeat).seconds

    def new(self, class_name, *args, **kwargs):
        """Construct ``class_name(*args, **kwargs)`` in the worker; returns a handle to it."""
        answer = self._session.request(class_name, args, kwargs, op=Op.NEW)
        return RemoteObject(self._session, class_name, answer.handle, self._session.restarts, (args, kwargs))

    @property
    def mutated(self):
        """Arguments (positions or names) the last call modified in place."""
        return self._session.mutated_inputs()


class _RemoteFunction:
    def __init__(self, session, name):
        self._session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        return self._session.request(self.__name__, args, kwargs).result


class RemoteObject:
    """An object living in the worker (e.g. the student's ``nn.Module``); methods answer with data."""

    def __init__(self, session, class_name, handle, generation, built=((), {})):
        self._session, self._class, self._handle, self._generation = session, class_name, handle, generation
        self._built = built  # (args, kwargs) of the construction: the feedback of a method call shows them

    def _request(self, method, args, kwargs, **extra):
        if self._generation != self._session.restarts or self._session.worker is None:
            raise StudentCodeAbort(f"{self._class}: the object was lost when your code crashed earlier in this test")
        return self._session.request(f"{self._class}.{method}", args, kwargs, handle=self._handle, method=method,
                                     built=self._built, **extra)

    def call(self, method, *args, **kwargs):
        return self._request(method, args, kwargs).result

    def __call__(self, *args, **kwargs):
        return self._request("__call__", args, kwargs).result

    def call_with_grad(self, *args, wrt, grad_output, **kwargs):
        """Forward, then backward; returns ``(result, input grads, {parameter name: grad})``."""
        answer = self._request("__call__", args, kwargs, wrt=list(wrt), grad_output=grad_output)
        return answer.result, answer.grads, answer.param_grads
