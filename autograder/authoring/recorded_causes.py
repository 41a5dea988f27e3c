"""The experiment a public test runs on a wrong answer, recorded at build time.

A public test has no reference solution, so the build runs the grader's lab on each recorded
case (:class:`autograder.kit.experiment.LiveLab`: the function's known bugs from its
``causes.py``, the general catalogue's, and the probes) and stores what an experiment needs:
the probes' inputs, the reference's answers on them and each bug's predictions. The public
test then runs :func:`autograder.diagnosis.experiment` on that table, calling the student's
code on the probes, so a bug gets the same cause locally as on Gradescope.
"""

import copy
import inspect

from autograder.authoring.rounding import portable, portable_inputs
from autograder.kit.experiment import LiveLab, causes_of, tabulate


def diagnosis_table(reference, case):
    """The recorded experiment for ``case`` (a plain function call), or None where it has none (a module, a
    backward pass, a dotted name, a chain, a part or a property: compared by other means)."""
    name = case["function"]
    if any(case.get(key) for key in ("module", "before", "parts", "property")) or \
            case.get("grad_output") is not None or "." in name:
        return None
    function = getattr(reference, name)
    args, kwargs = copy.deepcopy(list(case["args"])), copy.deepcopy(dict(case.get("kwargs", {})))
    try:
        names = list(inspect.signature(function).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return None
    causes = causes_of(reference)
    repair = causes.repair(name)

    def rounded(ref, probe_args, probe_kwargs):  # a probe's inputs rounded as the case's are: portable bytes
        if repair is not None:
            probe_args, probe_kwargs = repair(ref, probe_args, probe_kwargs)
        return portable_inputs(list(probe_args)), portable_inputs(dict(probe_kwargs))

    lab = LiveLab(None, reference, function, args, kwargs, names, causes.bugs(name), causes.probes(name), rounded)
    table = tabulate(lab)
    if not table["bugs"] and not any(probe["scale"] for probe in table["probes"]):
        return None
    table["reference"] = [portable(answer) for answer in table["reference"]]
    for bug in table["bugs"]:
        bug["predictions"] = [None if p is None else portable(p) for p in bug["predictions"]]
    return table
