"""An author's mistake gets one clear line at the first step that can see it: `nnhw build` a graded test
with no [tests] table (or a table with no test), `nnhw verify` a caught-by that names no function of the
solution, and a solution that cannot be graded (verify stops there, instead of a misleading row per
mutant). Each test breaks an assignment that `nnhw new` wrote into a course under tmp_path."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_config_errors import assert_clean_error, edit

from autograder.authoring.scaffold import scaffold
from autograder.authoring.verify import verify
from autograder.cli import main
from autograder.config import ConfigError
from autograder.course import Course
from autograder.grading import results as results_json

DEMO = "demo"
#: a second graded test of the scaffold's function, to append to its test file (it has no [tests] table)
UNLISTED_TEST = '''

@given(case=affine_inputs())
def test_affine_keeps_the_batch(student, reference, case):
    """affine: one row of z per row of h"""
    judge(student, reference, "affine", *case)
'''


@pytest.fixture
def course(tmp_path):
    """A course holding the assignment `nnhw new demo` writes."""
    root = tmp_path / "course"
    for top in ("assignments", "solutions"):
        (root / top).mkdir(parents=True)
    scaffold(root, DEMO)
    return root


@pytest.fixture
def assignment(course):
    return Course(course).assignment(DEMO)


def nnhw(course, *args):
    """``nnhw ARGS`` in-process against ``course``; click's Result."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"NNHW_COURSE_ROOT": str(course)})


def test_build_refuses_a_graded_test_without_a_table(course, assignment, tmp_path):
    """Before, the points table left the test out and the handout under-counted the points."""
    (assignment.tests_dir / f"test_{DEMO}.py").write_text(
        (assignment.tests_dir / f"test_{DEMO}.py").read_text() + UNLISTED_TEST)
    for args in (["build", DEMO, "--dist", tmp_path / "dist"], ["build", DEMO, "--check"]):
        assert_clean_error(nnhw(course, *args), str(assignment.dir / "assignment.toml"),
                           "no table for the graded test test_affine_keeps_the_batch",
                           "add [tests.test_affine_keeps_the_batch] with its weight")
    assert not (course / "starter").exists() and not (tmp_path / "dist").exists()


def test_build_refuses_a_table_without_a_test(course, assignment, tmp_path):
    """A test renamed in its file but not in assignment.toml: the old table names no test, the new test has no
    table; one line says both, and which name was meant."""
    edit(assignment.tests_dir / f"test_{DEMO}.py", "def test_affine_matches_reference(",
         "def test_affine_matches_the_reference(")
    assert_clean_error(nnhw(course, "build", DEMO, "--dist", tmp_path / "dist"),
                       "no table for the graded test test_affine_matches_the_reference",
                       "[tests.test_affine_matches_reference] names no test function",
                       "did you mean 'test_affine_matches_the_reference'?")


def test_verify_refuses_a_caught_by_that_names_no_function(course, assignment):
    """Before, verify graded every submission and then blamed the tests: "no test of afine fails"."""
    edit(assignment.mutants_dir / "affine_no_bias.py", "# caught-by: affine", "# caught-by: afine")
    assert_clean_error(nnhw(course, "verify", DEMO), str(assignment.mutants_dir / "affine_no_bias.py"),
                       "caught-by names 'afine', which is not a function of the solution",
                       "did you mean 'affine'?", f"{DEMO}.py defines: affine")
    assert not (course / ".nnhw").exists(), "nothing was graded"


def test_verify_grades_nothing_after_the_solution_is_found_misconfigured(assignment):
    """With a grader that answers "misconfigured" (as the real one does when the tests and [tests] disagree),
    verify raises the reason and grades no mutant."""
    graded = []

    def misconfigured(assignment, upload, out, **options):
        graded.append(Path(upload).parent.name)  # solutions, starter or mutants
        return results_json.failure("The autograder is misconfigured; please tell your instructor.\n"
                                    "assignment.toml: [tests] does not match", misconfigured=True)

    with pytest.raises(ConfigError, match=f"^{DEMO}: verify stopped, the solution could not be graded: "
                                          r"assignment.toml: \[tests\] does not match$"):
        verify(assignment, jobs=1, grade=misconfigured)
    assert graded[0] == "solutions" and "mutants" not in graded  # the starter may have started meanwhile


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_verify_stops_when_the_tests_and_the_config_disagree(course, assignment):
    """The real grader on a test without a table: one line with the grader's reason, and no table of rows that
    blame the mutant ("no test of affine fails") for the config's mistake."""
    (assignment.tests_dir / f"test_{DEMO}.py").write_text(
        (assignment.tests_dir / f"test_{DEMO}.py").read_text() + UNLISTED_TEST)
    result = nnhw(course, "verify", DEMO)
    assert_clean_error(result, f"{DEMO}: verify stopped, the solution could not be graded",
                       "not in the config: test_affine_keeps_the_batch")
    assert "affine_no_bias" not in result.output and "no test of" not in result.output


# -- names checked before anything is built (a typo is the author's, never the code graded) ----------------
def test_build_and_verify_refuse_a_graded_test_calling_a_name_the_solution_lacks(course, assignment, tmp_path):
    """Before, the build wrote the bundle, verify said "the solution scores 0 of 1" and a student read
    "rename it to 'afine'"."""
    edit(assignment.tests_dir / f"test_{DEMO}.py", 'judge(student, reference, "affine"',
         'judge(student, reference, "afine"')
    test_file = assignment.tests_dir / f"test_{DEMO}.py"
    for args in (["build", DEMO, "--dist", tmp_path / "dist"], ["build", DEMO, "--check"], ["verify", DEMO]):
        assert_clean_error(nnhw(course, *args), f"{test_file}:", "calls 'afine', which the solution does not "
                           "define", "did you mean 'affine'?")
    assert not (tmp_path / "dist").exists() and not (course / ".nnhw").exists()


def test_build_refuses_a_test_titled_after_a_name_the_solution_lacks(course, assignment, tmp_path):
    """Before, the typo went into the handout's points table, and verify matched no mutant's caught-by to it."""
    edit(assignment.tests_dir / f"test_{DEMO}.py", '"""affine: z = h W + b', '"""afine: z = h W + b')
    assert_clean_error(nnhw(course, "build", DEMO, "--dist", tmp_path / "dist"),
                       "test_affine_matches_reference's title", "names 'afine', which is not a function of the "
                       "solution", "did you mean 'affine'?")


def test_verify_refuses_a_mutant_whose_def_names_no_function_of_the_solution(course, assignment):
    """Before, verify graded it and reported "no test of affine fails, though the mutant breaks it": the
    misspelt def replaced nothing, and the author went off to strengthen tests that were fine."""
    edit(assignment.mutants_dir / "affine_no_bias.py", "def affine(h, W, b):", "def afine(h, W, b):")
    assert_clean_error(nnhw(course, "verify", DEMO), str(assignment.mutants_dir / "affine_no_bias.py"),
                       "defines 'afine', which the solution does not define, so it replaces nothing",
                       "did you mean 'affine'?")
    assert not (course / ".nnhw").exists(), "nothing was graded"


def test_a_mutants_own_helper_is_not_a_typo(course, assignment):
    """A helper the mutant's replacement calls is the mutant's own: no problem."""
    from autograder.authoring.mutants import load_mutant
    from autograder.authoring.names import mutant_problems

    path = assignment.mutants_dir / "affine_no_bias.py"
    edit(path, "def affine(h, W, b):\n    return h @ W",
         "def _product(h, W):\n    return h @ W\n\n\ndef affine(h, W, b):\n    return _product(h, W)")
    assert mutant_problems(assignment, load_mutant(path)) == []


def test_verify_prints_the_solutions_own_failure(assignment):
    """Before, verify said only "the solution scores 0 of 1"; the reason showed only under `nnhw grade
    --feedback`. The reason holds braces (a dict's repr), which must survive verify's formatting."""
    reason = "affine: wrong values in the result\nexpected: {'z': 1}\nlikely cause: the bias b is never added"

    def solution_fails(assignment, upload, out, **options):
        failed = Path(upload).parent.name == "solutions"
        return {"score": 0.0 if failed else 1.0, "output": "", "tests": [
            {"name": "affine: z = h W + b", "number": "1", "score": 0.0 if failed else 1.0, "max_score": 1.0,
             "status": "failed" if failed else "passed", "output": reason if failed else ""}]}

    graded = verify(assignment, jobs=1, grade=solution_fails)
    (problem,) = graded[0].problems
    assert problem.startswith("the solution scores 0 of 1: affine: z = h W + b\naffine: z = h W + b fails with:\n")
    assert problem.endswith(reason)
    from autograder import cli

    with cli.console.capture() as table:  # a test the solution fails catches nothing: it says so, not "catches 1"
        cli._print_catch_table(assignment, graded)
    legend = next(line for line in table.get().splitlines() if line.strip().startswith("1 "))
    assert "the solution fails it" in legend and "catches" not in legend


def test_feedback_never_asks_a_student_to_rename_to_a_name_the_solution_lacks(assignment):
    """A name only a test's own helper computes escapes the build's check; the grader then asks for it, the
    student's code lacks it as the solution does, and the feedback blames the test, not the student's names."""
    from types import SimpleNamespace

    from autograder.grading.student import Session, StudentCodeAbort
    from autograder.protocol import ErrorKind

    class Worker:  # answers as the worker does for a name no module of the submission defines
        imports = {}

        def request(self, message, payload):
            return {"ok": False, "error": {"type": ErrorKind.MISSING.value, "message":
                                           f"did you mean 'affine'? (rename it to {message['target']!r})"}}, None

    reference = assignment.load_reference()
    session = Session({f"{DEMO}.py": Path("unused")}, {}, reference, SimpleNamespace(limits=assignment.config.limits))
    session.worker = Worker()
    with pytest.raises(StudentCodeAbort) as missing:
        session.request("afine", (1,))
    assert "rename" not in str(missing.value) and "the reference solution does not define either" in str(missing.value)
    with pytest.raises(StudentCodeAbort) as misspelt:  # a name the solution has: the student's typo, and the hint
        session.request("affine", (1, 2, 3))
    assert "rename it to 'affine'" in str(misspelt.value)


# -- accepted variants and the public tests: what must keep its marks does ----------------------------------
def write_alternative(assignment, name, code):
    (assignment.alternatives_dir).mkdir(exist_ok=True)
    (assignment.alternatives_dir / f"{name}.py").write_text(
        f"# target: {DEMO}.py\n# The same z, computed another way.\nimport numpy as np\n\n\n{code}")


def test_verify_reports_an_accepted_variant_that_loses_marks_as_an_unfair_test(assignment):
    """An alternative is graded like a mutant, and must keep every mark (here a grader that fails it)."""
    write_alternative(assignment, "affine_einsum", "def affine(h, W, b):\n    return np.einsum('mi,io->mo', h, W) + b\n")

    def unfair(assignment, upload, out, **options):
        failed = Path(upload).parent.name != "solutions"  # the starter and the mutant too, as they should
        return {"score": 0.0 if failed else 1.0, "output": "", "tests": [
            {"name": "affine: z = h W + b", "number": "1", "score": 0.0 if failed else 1.0, "max_score": 1.0,
             "status": "failed" if failed else "passed", "output": "affine: wrong values" if failed else ""}]}

    graded = {g.name: g for g in verify(assignment, jobs=1, grade=unfair)}
    assert graded["affine_einsum"].kind == "alternative"
    (problem,) = graded["affine_einsum"].problems
    assert problem.startswith("an unfair test: this accepted variant scores 0 of 1: affine: z = h W + b")
    assert problem.endswith("affine: wrong values")
    assert graded["solution"].problems == [] and graded["affine_no_bias"].problems == []


def test_an_accepted_variant_needs_no_caught_by_but_its_defs_are_checked(course, assignment):
    write_alternative(assignment, "affine_typo", "def afine(h, W, b):\n    return h @ W + b\n")
    assert_clean_error(nnhw(course, "verify", DEMO), "defines 'afine', which the solution does not define",
                       "did you mean 'affine'?")


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_verify_fails_a_solution_that_fails_its_own_public_tests(course, assignment):
    """The solution changed after the build (the starter's recorded answers are the old one's): the graded tests
    compare with the solution itself and pass, the public tests fail, and verify says so, with their report.
    Before, verify printed ✓."""
    assert nnhw(course, "build", DEMO, "--dist", course / "dist").exit_code == 0
    edit(assignment.solution_files()[f"{DEMO}.py"], "return h @ W + b", "return h @ W + 2 * b")
    result = nnhw(course, "verify", DEMO)
    assert result.exit_code == 1, result.output
    assert "✗ solution: fails its own public tests (python -m pytest tests in the starter, with the solution's " \
           "files in place)" in result.output
    assert "affine: wrong values in the result" in result.output


@pytest.mark.parametrize("change, fragments", [
    (('"args": [h, W, b]}', '"args": [h, W, b], "part": {"z": 0}}'), ["unknown key 'part'", "did you mean 'parts'?"]),
    (('"function": "affine"', '"function": "afine"'), ["'function' names 'afine'", "did you mean 'affine'?"]),
    (('"function": "affine", "args": [h, W, b]', '"function": "layer_cache", "args": [h]'),
     ["its answer holds a dict whose keys are not all strings, which cannot be recorded", '"parts"']),
], ids=["key-typo", "function-typo", "unrecordable-answer"])
def test_build_refuses_a_public_case_it_cannot_record_naming_it(course, assignment, tmp_path, change, fragments):
    """Before, a typo'd key was ignored (the whole answer recorded), and an answer that cannot travel failed with
    the protocol's words and no case named."""
    solution = assignment.solution_files()[f"{DEMO}.py"]
    solution.write_text(solution.read_text() + "\n\ndef layer_cache(h):\n    return h, {1: h}\n")
    edit(assignment.public_cases, *change)
    assert_clean_error(nnhw(course, "build", DEMO, "--dist", tmp_path / "dist"), str(assignment.public_cases),
                       "public case 'affine: 4 rows, 3 → 2'", *fragments)
