"""The grader's lab: where an experiment on a wrong answer gets its answers (see :mod:`autograder.diagnosis`).

The reference and the hypotheses run here, in the grader; the student's function runs again in
the worker, on probes derived from the counterexample. The same probes and predictions, recorded
at build time (:func:`tabulate`), let the public tests run the same experiment without the
reference solution.
"""

import copy
import time
import warnings

import numpy as np

from autograder.diagnosis import SAME, Lab, _numeric, same
from autograder.kit import catalogue

#: wall seconds an experiment may spend calling the student's code again (a safety net: the number of
#: calls is bounded first, so that a cause reads the same on every machine)
BUDGET_S = 20.0


def _finite(answer):
    """Whether every number in ``answer`` is finite: a probe on which the reference is not is no valid input."""
    if isinstance(answer, (list, tuple)):
        return all(_finite(a) for a in answer)
    if isinstance(answer, dict):
        return all(_finite(a) for a in answer.values())
    array = _numeric(answer)
    return array is None or array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


class Causes:
    """What an assignment knows about its graded functions' bugs (its ``causes.py``): ``BUGS``, ``PROBES``
    and ``REPAIR`` (rebuilds the arguments derived from others after a probe changed them, e.g. ŷ = σ(z^L)),
    each keyed by function name."""

    def __init__(self, module=None):
        self.module = module

    def _table(self, name):
        return getattr(self.module, name, {}) if self.module is not None else {}

    def bugs(self, function):
        return list(self._table("BUGS").get(function, ()))

    def probes(self, function):
        return list(self._table("PROBES").get(function, ()))

    def repair(self, function):
        return self._table("REPAIR").get(function)


def causes_of(reference):
    """The :class:`Causes` that came with the reference solution (none where the assignment has no causes.py)."""
    return Causes(getattr(reference, "causes_module", None))


class LiveLab(Lab):
    """Probes, the reference's answers and the hypotheses' predictions computed here; the student's answers
    by ``run_student(*args, **kwargs)`` (which raises where the student's code fails)."""

    def __init__(self, run_student, reference, function, args, kwargs, names, known=(), extra_probes=(),
                 repair=None, budget_s=BUDGET_S):
        self.run_student, self.reference_namespace = run_student, reference
        self.function = getattr(reference, function) if isinstance(function, str) else function
        generic = catalogue.bugs(self.function, args, kwargs, names)
        self.bugs = [*known, *generic]
        self.causes, self.trusted = [bug.cause for bug in self.bugs], len(known)
        self.inputs, self.labels, self.scales = [(list(args), dict(kwargs))], ["the counterexample"], [None]
        for probe in [*extra_probes, *catalogue.probes(args, kwargs, names)]:
            made = self._make(probe, args, kwargs, repair)
            if made is not None:
                self.inputs.append(made)
                self.labels.append(probe.label)
                self.scales.append(probe.scale)
        self.size = len(self.inputs)
        self._answers, self._deadline, self.budget_s = {}, None, budget_s

    def _make(self, probe, args, kwargs, repair):
        try:
            made = probe.make(copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs)))
            if made is not None and repair is not None:
                made = repair(self.reference_namespace, *made)
            return None if made is None else (list(made[0]), dict(made[1]))
        except Exception:  # noqa: BLE001 - a probe that does not apply to these inputs is left out
            return None

    def label(self, i):
        return self.labels[i]

    def scale(self, i):
        return self.scales[i]

    def _answer(self, key, compute):
        if key not in self._answers:
            try:
                self._answers[key] = quietly(compute)
            except Exception:  # noqa: BLE001 - what cannot be computed here predicts nothing
                self._answers[key] = None
        return self._answers[key]

    def reference(self, i):
        args, kwargs = copy.deepcopy(self.inputs[i])
        answer = self._answer(("reference", i), lambda: self.function(*args, **kwargs))
        return answer if _finite(answer) else None

    def prediction(self, k, i):
        args, kwargs = copy.deepcopy(self.inputs[i])
        return self._answer((k, i), lambda: self.bugs[k].predict(self.reference_namespace, *args, **kwargs))

    def student(self, i):
        if self._deadline is None:
            self._deadline = time.monotonic() + self.budget_s
        args, kwargs = copy.deepcopy(self.inputs[i])
        try:
            return True, self.run_student(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a failure on a probe is an observation, not a crash of the grader
            return False, None
        except BaseException as exc:  # the worker gave up (a hang, a stub): no more experiments
            if type(exc).__name__ != "StudentCodeAbort":
                raise
            self._deadline = 0.0
            return False, None

    def out_of_time(self):
        return self._deadline is not None and time.monotonic() > self._deadline


def differences(answer, right):
    """``answer`` with each part equal to ``right``'s written as :data:`SAME` (most bugs change one item of a
    tuple answer, and show on a few probes only); :func:`autograder.diagnosis.restored` undoes it."""
    if same(answer, right):
        return SAME
    if isinstance(answer, (list, tuple)) and isinstance(right, (list, tuple)) and len(answer) == len(right):
        return type(answer)(differences(a, r) for a, r in zip(answer, right))
    return answer


def quietly(compute):
    """``compute()`` without numpy's warnings: probes take the reference where the student's bugs go (0/0)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return compute()


def tabulate(lab):
    """The probes, the reference's answers and each hypothesis's predictions of ``lab``, as data a public test
    can run the same experiment on (:class:`autograder.diagnosis.RecordedLab`). Hypotheses that cannot explain
    a wrong answer here (they predict the right one) and probes on which nothing differs are left out."""
    right = lab.reference(0)
    kept = [k for k in range(len(lab.bugs)) if lab.prediction(k, 0) is not None and
            not same(lab.prediction(k, 0), right)]
    probes = []
    for i in range(1, lab.size):
        answer = lab.reference(i)
        if answer is None:
            continue
        differs = [k for k in kept if lab.prediction(k, i) is not None and not same(lab.prediction(k, i), answer)]
        if differs or lab.scale(i) is not None:
            probes.append(i)
    def predicted(k, i):  # only what differs from the right answer is stored (see :func:`differences`)
        answer = lab.prediction(k, i)
        return None if answer is None else differences(answer, lab.reference(i) if i else right)

    return {
        "probes": [{"label": lab.label(i), "scale": lab.scale(i), "args": lab.inputs[i][0],
                    "kwargs": lab.inputs[i][1]} for i in probes],
        "reference": [lab.reference(i) for i in probes],
        "bugs": [{"cause": lab.causes[k], "trusted": k < lab.trusted,
                  "predictions": [predicted(k, i) for i in (0, *probes)]} for k in kept],
    }


