"""The public cases' answers, recorded from the reference by ``nnhw build`` into ``starter/<id>/tests/cases.json``.

A case the public tests could not replay as written is refused here, naming it: a key nobody reads (a typo of
``parts``), a function or property that does not exist, an answer that cannot be stored as data (an object
cache: record only its ``parts``). Inputs and answers are rounded (:mod:`.rounding`), and answers computed
in float64 whatever the inputs' precision, so the recorded values, and starter/, are the same on every machine.
"""

import copy
import importlib.util
import json
from pathlib import Path

from autograder import protocol
from autograder.authoring import public_cases as public_case
from autograder.authoring.recorded_causes import diagnosis_table
from autograder.authoring.rounding import portable, portable_inputs, widened
from autograder.code_names import references
from autograder.config import ConfigError, typo_hint

#: what a case may hold (autograder/authoring/public_cases.py says what each means)
KEYS = {"name", "function", "args", "kwargs", "before", "parts", "property", "grad_output", "wrt", "module",
        "state_dict", "inputs"}
STEP_KEYS = {"function", "args", "kwargs"}


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _refuse(assignment, case, problem):
    raise ConfigError(f"{assignment.public_cases}: public case {case.get('name', '(no name)')!r}: {problem}")


def check_case(assignment, case, known):
    """Refuse a case whose keys, functions or property the build and the public tests would read otherwise."""
    for key in case:
        if key not in KEYS:
            _refuse(assignment, case, f"unknown key {key!r}" + typo_hint(key, KEYS, found=False))
    for step in [*(case.get("before") or ()), case]:
        extra = set(step) - STEP_KEYS if step is not case else set()
        if extra:
            _refuse(assignment, case, f"a 'before' call holds {sorted(extra)}; it may hold only {sorted(STEP_KEYS)}")
        head = str(step.get("function", "")).split(".")[0]
        if head not in known:
            _refuse(assignment, case, f"'function' names {head!r}, which the solution does not define"
                                      + typo_hint(head, known, found=False))


def property_finder(assignment, case):
    """Find a case's ``"property"`` (``"module.function"``) in the assignment's ``public_tests/``, as the starter's
    tests will (they are copied into its ``tests/``)."""
    def find(dotted):
        module, _, name = dotted.rpartition(".")
        path = assignment.public_tests_dir / f"{module}.py"
        if not module or not path.is_file():
            _refuse(assignment, case, f"its property {dotted!r} is no function of a file in {assignment.public_tests_dir}"
                                      " (write it as 'module.function', the module a .py file there)")
        found = getattr(_load(path, f"nnhw_public_property_{assignment.id}_{module}"), name, None)
        if not callable(found):
            _refuse(assignment, case, f"{path} defines no function {name!r}")
        return found
    return find


def _prepared(assignment):
    """``(module, reference, cases)``: the public cases checked and their inputs rounded, as both recordings read
    them (so causes.json's experiments run on exactly cases.json's inputs)."""
    module = _load(assignment.public_cases, f"nnhw_public_cases_{assignment.id}")
    known = set(references(assignment))  # what the solution's (and given) files define at their top level
    cases = []
    for case in module.cases():
        check_case(assignment, case, known)
        cases.append(portable_inputs({**case, "kwargs": case.get("kwargs", {})}))
    return module, assignment.load_reference(), cases


def recorded_cases(assignment):
    """Run the reference on the assignment's public cases; the outputs become the students' fixtures (JSON bytes)."""
    module, reference, prepared = _prepared(assignment)

    def find(name):
        return getattr(reference, name)

    cases = []
    for case in prepared:
        finder = property_finder(assignment, case)
        native = public_case.run(find, copy.deepcopy(case), find_property=finder)
        wide = public_case.run(find, widened(copy.deepcopy(case)), find_property=finder)
        recorded = {**case, "expected": portable(wide, like=native)}
        try:
            protocol.to_json_data(recorded["expected"])
        except protocol.ProtocolError as exc:
            _refuse(assignment, case, f"its answer holds {exc}, which cannot be recorded; record only the items a "
                                      "public test can compare (\"parts\": {\"out\": 0}) or a property of it "
                                      "(\"property\")")
        cases.append(recorded)
    modules = [Path(name).stem for name in assignment.config.files]
    data = {"assignment": assignment.id, "modules": modules, "cases": protocol.to_json_data(cases)}
    outputs = getattr(module, "OUTPUTS", None)  # {function: names of the items it returns}, for the feedback
    if outputs:
        data["outputs"] = {name: list(items) for name, items in sorted(outputs.items())}
    return json.dumps(data, indent=1, ensure_ascii=False).encode() + b"\n"


def recorded_diagnoses(assignment):
    """``tests/causes.json``: per public case (in cases.json's order) the experiment its test runs on a wrong
    answer (:mod:`.recorded_causes`), or null. Compact: it is read by the tests, not by people."""
    _, reference, cases = _prepared(assignment)
    tables = [diagnosis_table(reference, case) for case in cases]
    return json.dumps({"cases": protocol.to_json_data(tables)}, ensure_ascii=False,
                      separators=(",", ":")).encode() + b"\n"
