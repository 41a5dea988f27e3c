"""Replay the examples hypothesis drew for the reference solution instead of drawing them again.

Why: drawing examples is most of a grading's CPU time (hypothesis's engine, not the student's
code), and with the grading profile's fixed seed every submission is shown the same examples
for as long as they pass: what hypothesis draws next depends on the choices it made so far,
never on what the test did with them, until an example fails. So the examples the solution
was shown are exactly the ones any submission is shown up to its first failing one, and a
replayed test fails exactly when hypothesis's run would, on the same example.

What keeps that true is checked, not assumed: a test is recorded only if no example was
rejected by the test itself (``assume``) or failed, and every value pickles (an example that
hypothesis gave up on inside an ``st.data()`` draw is recorded as such and given up on there
again); and a replay that
disagrees with its recording (an ``st.data()`` draw with another label, a draw too many or too
few, a hypothesis error such as ``note`` outside a test) gives up and lets hypothesis run the
test itself. Hypothesis also runs a test whose replay failed when the failure is to be shrunk
into a student's feedback: replay finds *that* a test fails, hypothesis says *how*.

Recordings hold pickles: they are written by the grader from the reference solution's run and
read by the grader only, never by the worker or from a submission.
"""

import contextlib
import functools
import os
import pickle
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis.errors import HypothesisException
from hypothesis.strategies import DataObject

FORMAT = 1


class ReplayDiverged(Exception):
    """The test asked for something its recording does not hold: hypothesis must run it."""


class _Data:
    """Marks where a test took ``st.data()``: its draws are recorded one by one."""


class _Discarded(BaseException):
    """Hypothesis gave up on this example inside an ``st.data()`` draw (a filter rejected the value, or the
    example ran out of room): the draw, not the test, decided that, so a replay gives up on it there too.
    A ``BaseException``, so that no ``except Exception`` in a test can swallow it."""


@dataclass
class Example:
    kwargs: bytes                              # pickle of the drawn arguments (``_Data`` for st.data())
    draws: list = field(default_factory=list)  # [(label, pickle of the value, or None: discarded here)]


class _RecordingData:
    """Stands in for ``st.data()``'s object while recording: draws for real and keeps each value."""

    def __init__(self, data, draws):
        self._data, self._draws = data, draws

    def draw(self, strategy, label=None):
        try:
            value = self._data.draw(strategy, label=label)
        except BaseException:
            self._draws.append((label, None))  # hypothesis discards the example here
            raise
        self._draws.append((label, pickle.dumps(value)))
        return value


class _ReplayData:
    """Stands in for ``st.data()``'s object while replaying: hands back the recorded values in order."""

    def __init__(self, draws):
        self._draws, self.used = draws, 0

    def draw(self, strategy, label=None):
        if self.used == len(self._draws) or self._draws[self.used][0] != label:
            raise ReplayDiverged(f"draw {self.used + 1} (label {label!r}) is not the recorded one")
        self.used += 1
        value = self._draws[self.used - 1][1]
        if value is None:
            raise _Discarded
        return pickle.loads(value)


@contextlib.contextmanager
def _global_generators():
    """Around a test's replay, as hypothesis around each of its examples: the global ``random`` and numpy's
    global generator are put back as they were afterwards; :func:`_seed_globals` seeds them."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _seed_globals():
    """What hypothesis does before every example: a test body that draws from the global ``random`` or
    numpy's global generator sees the same numbers in every example, and in a replay."""
    random.seed(0)
    np.random.seed(0)


class Recorder:
    """Keeps every example of every test as it runs; :meth:`save` writes those that can be replayed."""

    def __init__(self):
        self.examples, self.unreplayable = {}, set()

    def wrap(self, name, fixtures, inner):
        """``inner`` (a hypothesis test's inner function), recording each call's drawn arguments."""
        examples = self.examples.setdefault(name, [])

        @functools.wraps(inner)  # hypothesis derives a test's fixed seed from its source: keep the test's own
        def recording(*args, **kwargs):
            drawn = {key: value for key, value in kwargs.items() if key not in fixtures}
            try:
                example = Example(pickle.dumps({key: _Data() if isinstance(value, DataObject) else value
                                                for key, value in drawn.items()}))
            except Exception:  # noqa: BLE001 - a value that does not pickle: this test is not replayed
                self.unreplayable.add(name)
                return inner(*args, **kwargs)
            for key, value in drawn.items():
                if isinstance(value, DataObject):
                    kwargs[key] = _RecordingData(value, example.draws)
            examples.append(example)
            try:
                return inner(*args, **kwargs)
            except BaseException:
                if not (example.draws and example.draws[-1][1] is None):
                    self.unreplayable.add(name)  # rejected by the test itself, or failed: not replayed
                raise

        return recording

    def save(self, path, key, calls=None):
        """Write the replayable tests' examples to ``path``; ``key`` says what they were drawn for; ``calls``:
        ``{test name: names of the student's functions it called}``, kept alongside."""
        tests = {name: examples for name, examples in self.examples.items()
                 if name not in self.unreplayable and examples}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "wb") as fh:  # written aside, then renamed: a reader never sees half a file
            pickle.dump({"format": FORMAT, "key": key, "tests": tests, "calls": calls or {}}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)


def _recording(path, key):
    try:
        with open(path, "rb") as fh:
            recording = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError):
        return {}
    if not isinstance(recording, dict) or recording.get("format") != FORMAT or recording.get("key") != key:
        return {}
    return recording


def load(path, key):
    """``{test name: [Example]}`` recorded at ``path`` for ``key``; empty when there is none for that key."""
    return _recording(path, key).get("tests", {})


def load_calls(path, key):
    """``{test name: [names]}``: what each test called of the solution in the recorded run; empty if none."""
    return _recording(path, key).get("calls", {})


def replay(examples, inner, fixtures):
    """Run ``inner`` on each recorded example in order, with the ``fixtures`` pytest gives the test.

    Returns when every example passes; raises the first failure as the test raised it, or
    :class:`ReplayDiverged` when the test no longer matches its recording."""
    with _global_generators():
        for example in examples:
            kwargs = pickle.loads(example.kwargs)
            data = None
            for key, value in kwargs.items():
                if isinstance(value, _Data):
                    kwargs[key] = data = _ReplayData(example.draws)
            _seed_globals()
            try:
                inner(**fixtures, **kwargs)
            except _Discarded:
                continue
            except HypothesisException as exc:
                raise ReplayDiverged(f"{type(exc).__name__}: {exc}") from exc
            if data is not None and data.used != len(example.draws):
                raise ReplayDiverged(f"the test drew {data.used} values, the recording holds {len(example.draws)}")
