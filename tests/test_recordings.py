"""The CUDA judge's record → replay path, proven on the CPU.

``nnhw record-cuda`` normally runs on a GPU machine; here it records on the CPU into a temporary
folder (which it only does when told to), and the graded CUDA tests replay that recording through
the real grading path ($NNHW_CUDA_RECORDINGS points them at it). The assignment used is whichever
has cuda_cases.py, so nothing here depends on one assignment's content.
"""

import datetime
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT

from autograder.authoring import record_cuda
from autograder.authoring.mutants import load_mutants, write_mutant_submission
from autograder.cli import main
from autograder.course import Course
from autograder.grading import results as results_json
from autograder.grading.grader import grade
from autograder.kit import cuda

pytestmark = pytest.mark.needs_torch  # grades, or builds, an assignment (the grader imports torch)

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def assignments_with_cuda_cases():
    return [a for a in Course(ROOT).assignments() if cuda.cases_path(a.dir).is_file()]


@pytest.fixture(scope="module")
def assignment():
    found = assignments_with_cuda_cases()
    if not found:
        pytest.skip("no assignment has cuda_cases.py")
    return found[0]


@pytest.fixture(scope="module")
def recorded(assignment, tmp_path_factory):
    """A recording of the assignment's cases made on the CPU, in a temporary folder."""
    folder = tmp_path_factory.mktemp("recordings")
    record_cuda.record(assignment.dir, device="cpu", out=folder, allow_non_cuda=True, now=NOW)
    return folder


def cuda_tests(results):
    return [t for t in results["tests"] if "CUDA" in t["name"]]


def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


# -- recording ----------------------------------------------------------------------------------------
def test_a_cpu_recording_is_refused_unless_asked_for(assignment, tmp_path, monkeypatch):
    with pytest.raises(cuda.RecordingError, match="refusing"):
        record_cuda.record(assignment.dir, device="cpu", out=tmp_path / "r")
    assert not (tmp_path / "r" / cuda.METADATA).exists()
    monkeypatch.setenv("NNHW_COURSE_ROOT", str(ROOT))
    result = CliRunner().invoke(main, ["record-cuda", assignment.id, "--device", "cpu", "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "refusing" in result.output
    result = CliRunner().invoke(main, ["record-cuda", assignment.id, "--device", "cpu", "--out", str(tmp_path / "r"),
                                       "--allow-non-cuda"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r" / cuda.METADATA).read_text())["device_type"] == "cpu"


def test_the_recording_is_plain_data_with_metadata(assignment, recorded):
    metadata = json.loads((recorded / cuda.METADATA).read_text())
    assert metadata["device_type"] == "cpu" and metadata["tf32"] is False
    assert {"device", "torch", "cudnn", "cuda", "date"} <= set(metadata)
    assert metadata["date"] == NOW.isoformat(timespec="seconds")
    cases = cuda.load_cases(assignment.dir)
    assert metadata["cases"] == [c.slug for c in cases]
    for path in recorded.rglob("*"):
        assert path.is_dir() or path.suffix in (".json", ".npy"), path  # no pickles, no zips
    for path in recorded.rglob("*.npy"):
        array = np.load(path, allow_pickle=False)
        assert array.dtype == np.float32, path
    entry = json.loads((recorded / cases[0].slug / cuda.CASE_FILE).read_text())
    assert entry["function"] == cases[0].function and entry["fingerprint"] == cases[0].fingerprint()


def test_recording_twice_gives_the_same_bytes(assignment, recorded, tmp_path):
    again = record_cuda.record(assignment.dir, device="cpu", out=tmp_path / "again", allow_non_cuda=True, now=NOW)
    assert files(again) == files(recorded)


def test_recording_replaces_an_older_recording(assignment, recorded, tmp_path):
    folder = tmp_path / "r"
    record_cuda.record(assignment.dir, device="cpu", out=folder, allow_non_cuda=True, now=NOW)
    (folder / "stale-case").mkdir()
    (folder / "stale-case" / cuda.CASE_FILE).write_text("{}")
    (folder / "README.md").write_text("kept")
    record_cuda.record(assignment.dir, device="cpu", out=folder, allow_non_cuda=True, now=NOW)
    assert not (folder / "stale-case").exists() and (folder / "README.md").read_text() == "kept"


def test_replayed_cases_carry_the_recorded_values(assignment, recorded):
    judged = cuda.cuda_cases(assignment.dir, live=False, recordings_dir=recorded, allow_non_cuda=True)
    cases = cuda.load_cases(assignment.dir)
    assert [j.name for j in judged] == [c.name for c in cases]
    for case, one in zip(cases, judged):
        args, grad_output, output, grads = cuda.run_case(case, "cpu")
        assert one.device == "cpu" and "recorded" in one.source
        assert np.array_equal(one.expected.numpy(), output.numpy())
        for got, want in zip(one.args, args):
            assert (got is None and want is None) or np.array_equal(np.asarray(got), np.asarray(want))
        if case.wrt:
            assert all(np.array_equal(g.numpy(), w.numpy()) for g, w in zip(one.expected_grads, grads))


# -- replaying in the graded tests ----------------------------------------------------------------------
@pytest.mark.e2e
def test_without_recordings_the_cuda_tests_are_not_graded(assignment, tmp_path, monkeypatch):
    """Not a green 0/0 entry (Gradescope paints those as passed): left out of the tests, and the top-level
    output, which a student reads first, names each one and why."""
    monkeypatch.setenv(cuda.ENV_RECORDINGS, str(tmp_path))  # an empty folder: nothing recorded
    results = grade(assignment, assignment.solution_dir, keyword="cuda")
    assert results_json.validate(results) == []
    cuda_specs = [spec for spec in assignment.config.tests if spec.cuda]
    assert cuda_specs and cuda_tests(results) == []
    assert all(t["max_score"] > 0 for t in results["tests"]), "no 0/0 entry"
    not_graded = results["extra_data"]["not_graded"]
    assert sorted(not_graded) == sorted(spec.number for spec in cuda_specs)
    lines = results["output"].splitlines()
    for number, entry in not_graded.items():
        assert entry["why"] == cuda.NOT_GRADED_HERE
        assert f'test {number} ("{entry["name"]}") was not run: {cuda.NOT_GRADED_HERE}' in lines
    assert "nnhw" not in results["output"]  # a student reads this: no instructor command in it


def test_a_cpu_recording_is_not_taken_for_cuda_results(assignment, recorded):
    with pytest.raises(pytest.skip.Exception, match="no recorded CUDA results"):
        cuda.cuda_cases(assignment.dir, live=False, recordings_dir=recorded)
    assert any("not CUDA" in p for p in record_cuda.problems(assignment.dir, recorded))


@pytest.mark.e2e
def test_the_solution_passes_on_the_recording(assignment, recorded, monkeypatch):
    monkeypatch.setenv(cuda.ENV_RECORDINGS, str(recorded))
    results = grade(assignment, assignment.solution_dir, keyword="cuda")
    tests = cuda_tests(results)
    assert tests and all(t["status"] == "passed" and t["max_score"] > 0 for t in tests), tests
    assert results["score"] == sum(t["max_score"] for t in tests)


@pytest.mark.e2e
def test_the_comparison_is_with_the_recorded_results(assignment, recorded, tmp_path, monkeypatch):
    """Nudge one recorded output far beyond float32 rounding: the solution now fails."""
    tampered = tmp_path / "tampered"
    for name, data in files(recorded).items():
        (tampered / name).parent.mkdir(parents=True, exist_ok=True)
        (tampered / name).write_bytes(data)
    first = cuda.load_cases(assignment.dir)[0].slug
    output = tampered / first / "output0.npy"
    array = np.load(output)
    array.flat[0] += 0.01 * (1 + abs(array.flat[0]))
    np.save(output, array)
    monkeypatch.setenv(cuda.ENV_RECORDINGS, str(tampered))
    results = grade(assignment, assignment.solution_dir, keyword="cuda")
    failed = [t for t in cuda_tests(results) if t["status"] == "failed"]
    assert failed and all("wrong values" in t["output"] for t in failed), cuda_tests(results)


@pytest.mark.e2e
def test_a_mutant_that_loses_dtype_fails_the_replay(assignment, recorded, tmp_path, monkeypatch):
    mutants = [m for m in load_mutants(assignment) if "float64" in m.name]
    if not mutants:
        pytest.skip("no float64 mutant")
    upload = write_mutant_submission(assignment, mutants[0], tmp_path / mutants[0].name)
    monkeypatch.setenv(cuda.ENV_RECORDINGS, str(recorded))
    results = grade(assignment, upload, keyword="cuda")
    assert all(t["status"] == "failed" for t in cuda_tests(results)), cuda_tests(results)


def stored_recordings():
    return [a for a in assignments_with_cuda_cases() if cuda.load_recording(a.dir / cuda.RECORDINGS_DIR)]


@pytest.mark.skipif(not stored_recordings(), reason="no CUDA recordings are committed yet (they need a GPU machine)")
def test_the_stored_recordings_match_the_cases():
    """Every committed recordings/ was made on CUDA from its assignment's current cuda_cases.py."""
    for assignment in stored_recordings():
        assert record_cuda.problems(assignment.dir) == [], f"{assignment.id}: run `nnhw record-cuda {assignment.id}`"


def test_build_warns_the_instructor_until_recordings_exist(assignment, recorded, tmp_path):
    """No recording, or one that does not match the cases: a warning that names the command to run."""
    if cuda.load_recording(assignment.dir / cuda.RECORDINGS_DIR) is None:
        assert any("nnhw record-cuda" in w for w in record_cuda.instructor_warnings(assignment.dir))
    else:
        assert record_cuda.instructor_warnings(assignment.dir) == []
