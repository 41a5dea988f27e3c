"""Replaying the solution's examples instead of drawing them (``autograder/replay.py``): a replayed
test fails exactly when hypothesis's own run would, on the same example, and gives up where it
cannot know. First on a toy property run by hypothesis directly, then through the grader on a1."""

import functools
import textwrap
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograder.authoring.mutants import load_mutant, load_mutants, write_mutant_submission
from autograder.authoring.verify import _Selection, _with_solution_verdicts
from autograder.batch.runner import Runner
from autograder.code_names import affected_names
from autograder.course import Course
from autograder.grading import replay
from autograder.grading.grader import examples_key

NO_SHRINK = tuple(p for p in Phase if p not in (Phase.shrink, Phase.explain))
GRADING = settings(derandomize=True, database=None, max_examples=60, phases=NO_SHRINK, deadline=None,
                   suppress_health_check=list(HealthCheck))

GRADING_FIXTURES = {"a1_recording"}  # grades a1's solution (conftest marks its users e2e)


def total_property(total):
    """A property in the graded tests' style: arguments from @given, more from st.data(), some of them
    filtered (so hypothesis discards examples inside a draw), and the answer checked last."""
    @GRADING
    @given(n=st.integers(0, 6), data=st.data())
    def test(n, data):
        xs = data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n), label="xs")
        data.draw(st.integers(0, 9).filter(lambda x: x % 2 == 0), label="even")
        assert total(xs) == sum(xs)
    return test


def logging(test, calls):
    """Make hypothesis log each example it runs (its drawn list) before running it."""
    inner = test.hypothesis.inner_test

    @functools.wraps(inner)
    def logged(n, data):
        calls.append(n)
        return inner(n=n, data=data)
    test.hypothesis.inner_test = logged
    return logged


def recorded(total=sum):
    test, recorder = total_property(total), replay.Recorder()
    test.hypothesis.inner_test = recorder.wrap("test", set(), test.hypothesis.inner_test)
    calls = []
    logging(test, calls)
    test()
    assert "test" not in recorder.unreplayable
    assert calls == hypothesis_run(total)[0], "recording must not change the examples hypothesis draws"
    return recorder.examples["test"]


def hypothesis_run(total):
    """``(examples run before the first failure, the failure or None)`` under hypothesis itself."""
    calls, test = [], total_property(total)
    logging(test, calls)
    try:
        test()
    except AssertionError as failure:
        return calls[:-1], failure  # the failing example is run once more at the end, to report it
    return calls, None


WRONG = {
    "drops the last element": lambda xs: sum(xs[:-1]),
    "wrong with a 7": lambda xs: sum(xs) + (7 in xs),
    "wrong for six or more": lambda xs: sum(xs) + (len(xs) >= 6),
    "wrong for ten or more (never drawn)": lambda xs: sum(xs) + (len(xs) >= 10),
}


@pytest.mark.parametrize("name", WRONG)
def test_replay_fails_where_hypothesis_fails_on_the_same_example(name):
    examples = recorded()
    assert any(label == "even" and value is None for e in examples for label, value in e.draws), \
        "the filter should make hypothesis discard some examples inside a draw"
    expected_calls, expected_failure = hypothesis_run(WRONG[name])
    calls, test = [], total_property(WRONG[name])
    inner = logging(test, calls)
    try:
        replay.replay(examples, inner, {})
        failure = None
    except AssertionError as exc:
        failure = exc
    assert (failure is None) == (expected_failure is None), name
    assert calls == expected_calls, name  # the same examples, in the same order, up to the first failure
    if name.endswith("(never drawn)"):
        assert failure is None


def test_a_test_body_sees_the_global_generators_it_sees_under_hypothesis():
    import random

    import numpy as np

    seen = []

    @GRADING
    @given(n=st.integers(0, 1000))
    def uses_globals(n):
        seen.append((n, random.random(), float(np.random.rand())))

    recorder, inner = replay.Recorder(), uses_globals.hypothesis.inner_test
    uses_globals.hypothesis.inner_test = recorder.wrap("t", set(), inner)
    before = random.getstate()
    uses_globals()
    drawn, seen[:] = list(seen), []
    replay.replay(recorder.examples["t"], inner, {})
    assert seen == drawn and len(drawn) > 10
    assert random.getstate() == before  # and left as they were, as hypothesis leaves them


def test_a_test_that_draws_differently_gives_up_instead_of_guessing():
    examples = recorded()

    @GRADING
    @given(n=st.integers(0, 6), data=st.data())
    def renamed(n, data):
        data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n), label="a different label")

    with pytest.raises(replay.ReplayDiverged):
        replay.replay(examples, renamed.hypothesis.inner_test, {})


def test_a_test_that_rejects_examples_itself_is_not_recorded():
    from hypothesis import assume

    @GRADING
    @given(n=st.integers(0, 6))
    def rejects(n):
        assume(n != 3)  # the test's own decision (it could depend on the student's answer)

    recorder = replay.Recorder()
    rejects.hypothesis.inner_test = recorder.wrap("rejects", set(), rejects.hypothesis.inner_test)
    rejects()
    assert recorder.unreplayable == {"rejects"}


def test_a_recording_for_another_key_is_not_replayed(tmp_path):
    recorder = replay.Recorder()
    recorder.examples["test"] = recorded()
    recorder.save(tmp_path / "examples.pickle", "key one")
    assert replay.load(tmp_path / "examples.pickle", "key one")["test"]
    assert replay.load(tmp_path / "examples.pickle", "key two") == {}
    assert replay.load(tmp_path / "missing.pickle", "key one") == {}
    (tmp_path / "broken.pickle").write_bytes(b"not a pickle")
    assert replay.load(tmp_path / "broken.pickle", "key one") == {}


# -- through the grader: the same verdicts, and the same feedback where hypothesis shrinks ---------------
A1_TESTS = "affine or mse or softmax_matches or cross_entropy_matches"
A1_MUTANTS = ("affine_transposed", "mse_without_half", "softmax_no_shift", "ce_missing_minus", "relu_leaky")


@pytest.fixture(scope="module")
def a1_recording(tmp_path_factory):
    """``(grade, recording)``: a1's solution graded on the real path (a forked grader and its worker), its
    examples recorded; ``grade(upload, **options)`` grades another submission the same way."""
    assignment = Course.find().assignment("a1_forward")
    temp = tmp_path_factory.mktemp("replay")
    path = temp / "examples.pickle"
    with Runner(assignment, 1) as runner:
        def grade(upload, shrink=False, keyword=A1_TESTS, **examples):
            return runner.grade(upload, temp / "results.json", shrink=shrink, keyword=keyword, examples=examples)

        solution = grade(assignment.solution_dir, record_examples=path)
        assert solution["score"] == sum(t["max_score"] for t in solution["tests"]), solution
        yield assignment, grade, path


def mutant_submission(assignment, name, folder):
    return write_mutant_submission(assignment, next(m for m in load_mutants(assignment) if m.name == name), folder)


def statuses(results):
    return {t["name"]: t["status"] for t in results["tests"]}


@pytest.mark.needs_worker
@pytest.mark.parametrize("mutant", A1_MUTANTS)
def test_a_replayed_grading_fails_the_same_tests_as_hypothesis(a1_recording, mutant, tmp_path):
    assignment, grade, path = a1_recording
    submission = mutant_submission(assignment, mutant, tmp_path / mutant)
    drawn, replayed = grade(submission), grade(submission, replay_examples=path)
    assert len(replayed["extra_data"]["replayed"]) == len(replayed["tests"])  # every test was replayed
    assert statuses(replayed) == statuses(drawn)
    assert drawn["score"] == replayed["score"]
    function = {spec.number: spec.name for spec in assignment.config.tests}
    passed = [function[t["number"]] for t in drawn["tests"] if t["status"] == "passed"]
    assert passed, "each mutant breaks one function: the other tests pass"
    for name in passed:  # a passing test ran the same examples
        assert drawn["extra_data"]["examples"][name] == replayed["extra_data"]["examples"][name], name


@pytest.mark.needs_worker
def test_a_failure_to_be_shrunk_is_left_to_hypothesis(a1_recording, tmp_path):
    """Students read the shrunk counterexample: a test whose replay fails runs again under hypothesis,
    so the feedback is the same word for word."""
    assignment, grade, path = a1_recording
    submission = mutant_submission(assignment, "mse_without_half", tmp_path / "mse_without_half")
    drawn = grade(submission, shrink=True, keyword="mse")
    replayed = grade(submission, shrink=True, keyword="mse", replay_examples=path)
    assert [t["output"] for t in replayed["tests"]] == [t["output"] for t in drawn["tests"]]
    assert drawn["tests"][0]["status"] == "failed" and "½" in drawn["tests"][0]["output"]


# -- verify grades a mutant on the tests that call what it changes -----------------------------------------
@pytest.mark.needs_worker
@pytest.mark.parametrize("mutant", ["softmax_whole_batch", "affine_no_bias"])
def test_a_mutant_graded_on_the_tests_it_can_fail_scores_as_graded_on_all(a1_recording, mutant, tmp_path):
    assignment, grade, path = a1_recording
    submission = mutant_submission(assignment, mutant, tmp_path / mutant)
    selection = _Selection(assignment).keyword(next(m for m in load_mutants(assignment) if m.name == mutant), path,
                                               examples_key(assignment))
    assert selection and "mse" not in selection, selection  # the loss tests call nothing it changes
    whole = grade(submission, replay_examples=path)
    part = grade(submission, replay_examples=path, keyword=f"({A1_TESTS}) and ({selection})")
    assert 0 < len(part["tests"]) < len(whole["tests"])
    part["extra_data"]["selected"] = selection
    merged = _with_solution_verdicts(part, grade(assignment.solution_dir, replay_examples=path))
    assert statuses(merged) == statuses(whole) and merged["score"] == whole["score"]
    assert "failed" in statuses(merged).values()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_what_a_mutant_may_change_follows_the_references_between_functions(tmp_path):
    course = tmp_path / "course"
    write(course / "assignments" / "toy" / "assignment.toml", """
        [assignment]
        id = "toy"
        title = "Functions that call each other"
        files = ["toy.py", "more.py"]

        [tests.test_one]
        weight = 1
        """)
    write(course / "solutions" / "toy" / "toy.py", """
        import numpy as np
        SCALE = 2

        def double(x):
            return SCALE * x

        def quadruple(x):
            return double(double(x))

        def square(x):
            return np.square(x)
        """)
    write(course / "solutions" / "toy" / "more.py", """
        from toy import quadruple

        def octuple(x):
            return 2 * quadruple(x)

        def alone(x):
            return x
        """)
    assignment = Course(course).assignment("toy")

    def affected(code):
        (tmp_path / "m.py").write_text(f"# target: toy.py\n# caught-by: double\n{textwrap.dedent(code)}")
        names = affected_names(assignment, load_mutant(tmp_path / "m.py"))
        return names if names is None else sorted(names)

    assert affected("import numpy as np\ndef double(x):\n    return x + x + 1\n") == \
        ["double", "octuple", "quadruple"]  # the same numpy import changes nothing
    assert affected("import math as np\ndef square(x):\n    return x\n") == ["np", "square"]
    assert affected("SCALE = 3\n") == ["SCALE", "double", "octuple", "quadruple"]
    assert affected("def square(x):\n    global SCALE\n    SCALE = 5\n    return x * x\n") == \
        ["SCALE", "double", "octuple", "quadruple", "square"]
    assert affected("print('imported')\n") is None  # code that runs on import: anything may differ

    # which tests verify grades the mutant on, from what each test called in the solution's run
    (course / "assignments" / "toy" / "tests").mkdir()
    assignment.config = replace(assignment.config, tests=tuple(
        replace(assignment.config.tests[0], name=name) for name in
        ("test_doubles", "test_squares", "test_octuples", "test_through_a_helper", "test_static")))
    recording = tmp_path / "examples.pickle"
    replay.Recorder().save(recording, examples_key(assignment), calls={
        "test_doubles": ["double"], "test_squares": ["square"], "test_octuples": ["octuple"],
        "test_through_a_helper": ["run_helper"], "test_static": []})
    mutant = load_mutant(tmp_path / "m.py")
    (tmp_path / "m.py").write_text("# target: toy.py\n# caught-by: double\ndef double(x):\n    return x\n")
    selection = _Selection(assignment)
    assert selection.keyword(load_mutant(tmp_path / "m.py"), recording, examples_key(assignment)).split(" or ") == \
        ["test_doubles", "test_octuples", "test_through_a_helper", "test_static"]
    assert mutant  # (the last mutant, code run on import: every test)
    assert selection.keyword(mutant, recording, examples_key(assignment)) == ""
