"""Public cases beyond a recorded answer: named parts, calls chained through the student's own forward, and
properties on a fixed input. Each is recorded from a scaffolded course's reference and replayed here with a
student's functions, exactly as the starter's test_public.py replays it (the same `run`)."""

import json

import numpy as np
import pytest

from autograder import protocol
from autograder.authoring.public_cases import run
from autograder.authoring.recording import recorded_cases
from autograder.authoring.scaffold import scaffold
from autograder.check import Check, Mismatch
from autograder.course import Course


def course_with(tmp_path, cache):
    root = tmp_path / "course"
    for top in ("assignments", "solutions"):
        (root / top).mkdir(parents=True)
    scaffold(root, "demo", cache=cache)
    return Course(root).assignment("demo")


def replayed(assignment):
    return protocol.from_json_data(json.loads(recorded_cases(assignment))["cases"])


def replay(case, functions, find_property=None):
    got = run(functions.get, case, find_property=find_property)
    Check(case["function"]).matches(got, case["expected"])


def own_cache_forward(h, W, b):
    return h @ W + b, {"inputs": h, "weights": W, "rows": len(h)}


def own_cache_backward(dz, cache):
    return dz @ cache["weights"].T, cache["inputs"].T @ dz, dz.sum(axis=0)


def test_a_cache_of_the_students_own_design_passes_and_a_wrong_backward_fails(tmp_path):
    """Before, the whole answer was recorded, cache included: "the result[1] should have 3 items, got 8"."""
    forward, backward = replayed(course_with(tmp_path, cache=True))
    assert list(forward["expected"]) == ["z"] and backward["before"][0]["function"] == "affine_forward"
    student = {"affine_forward": own_cache_forward, "affine_backward": own_cache_backward}
    replay(forward, student)
    replay(backward, student)
    student["affine_backward"] = lambda dz, cache: (*own_cache_backward(dz, cache)[:2], dz.mean(axis=0))
    with pytest.raises(Mismatch, match=r"wrong values in the result\[2\]"):
        replay(backward, student)


def test_a_missing_forward_is_named_by_the_backwards_case(tmp_path):
    """`guard` makes each call: the starter's test names the function whose call failed (here the forward)."""
    _, backward = replayed(course_with(tmp_path, cache=True))

    def stub(*args):
        raise NotImplementedError

    called = []

    def guard(function, call):
        called.append(function)
        return call()
    with pytest.raises(NotImplementedError):
        run({"affine_forward": stub, "affine_backward": own_cache_backward}.get, backward, guard)
    assert called == ["affine_forward"]


PROPERTIES = '''
import numpy as np


def rows(answer, args, kwargs, earlier):
    return {"one row of z per row of h": bool(answer.shape[0] == args[0].shape[0]),
            "z − h W is the same in every row": bool(np.allclose(answer - args[0] @ args[1], answer[0] - args[0][0] @ args[1]))}
'''


def test_a_property_case_records_the_references_verdicts_and_fails_code_without_the_property(tmp_path):
    assignment = course_with(tmp_path, cache=False)
    assignment.public_tests_dir.mkdir()
    (assignment.public_tests_dir / "affine_properties.py").write_text(PROPERTIES)
    text = assignment.public_cases.read_text().replace(
        '"args": [h, W, b]},', '"args": [h, W, b]},\n        {"name": "affine: rows", "function": "affine", '
                               '"args": [h, W, b], "property": "affine_properties.rows"},')
    assignment.public_cases.write_text(text)
    case = replayed(assignment)[1]
    assert case["expected"] == {"one row of z per row of h": True, "z − h W is the same in every row": True}
    namespace = {}
    exec(PROPERTIES, namespace)  # noqa: S102 - the starter imports this file from its tests/
    find = {"affine_properties.rows": namespace["rows"]}.get
    replay(case, {"affine": lambda h, W, b: h @ W + b + np.arange(len(h))[:, None] * 0.0}, find)
    with pytest.raises(Mismatch, match="z − h W is the same in every row: expected True, got False"):
        replay(case, {"affine": lambda h, W, b: h @ W + b * np.arange(len(h))[:, None]}, find)


@pytest.mark.e2e
def test_a_property_case_runs_in_the_starter_where_its_module_sits_beside_the_tests(tmp_path):
    """The starter's test_public.py imports the property's module from its own tests/ folder."""
    from autograder.authoring.build import starter_tree, write_tree
    from autograder.authoring.selfcheck import public_test_failure

    assignment = course_with(tmp_path, cache=False)
    assignment.public_tests_dir.mkdir()
    (assignment.public_tests_dir / "affine_properties.py").write_text(PROPERTIES)
    assignment.public_cases.write_text(assignment.public_cases.read_text().replace(
        '"args": [h, W, b]},', '"args": [h, W, b], "property": "affine_properties.rows"},'))
    write_tree(assignment.starter_dir, starter_tree(assignment))
    assert public_test_failure(assignment, assignment.solution_dir) is None
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "demo.py").write_text("import numpy as np\n\ndef affine(h, W, b):\n    return h @ W + b * np.arange(len(h))[:, None]\n")
    assert "z − h W is the same in every row: expected True, got False" in public_test_failure(assignment, wrong)
