"""Batch grading (``nnhw grade-batch``): a folder of submissions or Gradescope's export in, a gradebook
CSV, an HTML report and each student's results.json out; broken and hostile submissions cost only
their own row; re-runs grade only what changed. And ``nnhw verify`` notices a weakened property."""

import csv
import html
import io
import json
import os
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from batch_submissions import make_submissions
from helpers import ROOT, nnhw
from test_config_errors import edit, scratch_course

from autograder.batch.collect import CollectError, Student, Submission, collect, parse_metadata
from autograder.batch.grade_all import BatchError, grade_batch, previous_results
from autograder.batch.gradebook import csv_text, rows
from autograder.batch.report import bins, render
from autograder.batch.runner import Runner, Zygotes, grade_in_subprocess, grader_failure
from autograder.check import LIKELY_CAUSE, likely_cause
from autograder.course import Course
from autograder.grading import extra as extra_data
from autograder.grading import results as results_json
from autograder.grading.plugin import Outcome

pytestmark = pytest.mark.needs_torch  # grades, or builds, an assignment (the grader imports torch)

A1 = "a1_forward"
WIDE = {"COLUMNS": "250"}  # rich tables unwrapped


@pytest.fixture(scope="module")
def a1():
    return Course(ROOT).assignment(A1)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- a class of 12 through the real command ----------------------------------------------------
@pytest.fixture(scope="module")
def graded_class(a1, a1_recorded, tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    expected = make_submissions(a1, base / "submissions", count=12,
                                mutants=["affine_no_bias", "relu_leaky", "ce_naive_log", "softmax_whole_batch"])
    started = time.monotonic()
    done = nnhw("grade-batch", A1, base / "submissions", "--out", base / "out", "--jobs", "2", env=WIDE)
    return SimpleNamespace(base=base, out=base / "out", expected=expected, done=done,
                           seconds=time.monotonic() - started)


def test_batch_writes_gradebook_report_and_every_students_results(a1, graded_class):
    out = graded_class.out
    assert (out / "gradebook.csv").is_file() and (out / "report.html").is_file()
    table = read_csv(out / "gradebook.csv")
    students = [row["student"] for row in table]
    assert students == sorted(graded_class.expected), "one row per student, sorted by student"
    assert "12 student(s) from 12 submission(s)" in graded_class.done.stdout
    for row in table:
        assert row["results"] == f"students/{row['student']}/results.json"
        results = json.loads((out / row["results"]).read_text())
        assert results_json.validate(results) == []
        assert float(row["total"]) == pytest.approx(results["score"]), row["student"]
        assert sum(float(row[spec.name]) for spec in a1.config.tests) == pytest.approx(results["score"])
        assert float(row["max_score"]) == a1.config.max_score
        if results["tests"]:  # the course's recording of the solution's examples, replayed
            assert "replayed" in results["extra_data"], row["student"]


def test_scores_are_what_each_submission_deserves(a1, graded_class):
    table = {row["student"]: row for row in read_csv(graded_class.out / "gradebook.csv")}
    for student, want in graded_class.expected.items():
        total = float(table[student]["total"])
        if want == "full":
            assert total == a1.config.max_score, (student, table[student])
        elif want == "zero":
            assert total == 0, (student, table[student])
        else:
            assert 0 < total < a1.config.max_score, (student, table[student])
    assert "forwards.py" in table["s05-wrong-name"]["notes"]
    assert "graded as forward.py" in table["s08-loose-file"]["notes"]
    assert table["s07-zipped"]["submission"] == "s07-zipped.zip"
    assert table["s11-ce-naive-log"]["test_cross_entropy_confident_predictions"] == "0"


def test_report_draws_distribution_and_pass_rates(a1, graded_class):
    page = (graded_class.out / "report.html").read_text()
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 2
    for chart in charts:
        ElementTree.fromstring(chart)  # well-formed SVG
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "Score distribution" in page and "Pass rate per test" in page
    assert page.count("<rect") >= len(a1.config.tests) * 2  # a track and a bar per test
    for spec in a1.config.tests:
        assert spec.name in page


def test_each_students_likely_causes_reach_the_gradebook_and_the_report(a1, graded_class):
    """The mutants' feedback names causes: the CSV keeps each student's, as their results.json say them, and
    the report counts each one under its test."""
    page = (graded_class.out / "report.html").read_text()
    numbers = {spec.number: spec.name for spec in a1.config.tests}
    named = 0
    for row in read_csv(graded_class.out / "gradebook.csv"):
        results = json.loads((graded_class.out / row["results"]).read_text())
        causes = [f"{t['number']}: {likely_cause(t['output'])}" for t in results["tests"]
                  if t["status"] == "failed" and likely_cause(t["output"])]
        assert row["likely_causes"] == "; ".join(causes), row["student"]
        for cause in causes:
            number, text = cause.split(": ", 1)
            assert numbers[number] and html.escape(text, quote=True) + ": <b>" in page, cause
        named += len(causes)
    assert named, "no mutant's feedback named a likely cause"


def test_rerun_grades_only_what_changed(graded_class):
    before = (graded_class.out / "gradebook.csv").read_bytes()
    report = (graded_class.out / "report.html").read_bytes()
    started = time.monotonic()
    again = nnhw("grade-batch", A1, graded_class.base / "submissions", "--out", graded_class.out, env=WIDE)
    assert "0 graded, 12 already graded" in again.stdout, again.stdout
    assert time.monotonic() - started < 30
    assert (graded_class.out / "gradebook.csv").read_bytes() == before, "same batch, same CSV"
    assert (graded_class.out / "report.html").read_bytes() == report, "same batch, same report"
    later = time.time() + 5
    os.utime(graded_class.base / "submissions" / "s02-starter" / "forward.py", (later, later))
    third = nnhw("grade-batch", A1, graded_class.base / "submissions", "--out", graded_class.out, env=WIDE)
    assert "1 graded, 11 already graded" in third.stdout, third.stdout
    assert (graded_class.out / "gradebook.csv").read_bytes() == before


# -- Gradescope's export ------------------------------------------------------------------------
METADATA = """---
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@uni.example
  - :name: "Bob O'Brien"
    :sid: '1902'
    :email: bob@uni.example
  :created_at: 2024-02-01 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.18e2
  :history:
  - :id: 999
    :submitters:
    - :name: Not A Student
  :status: processed
submission_1002:
  :submitters:
  - :name: Cy Young
    :sid: '2002'
    :email:
  :created_at: 2024-02-02 10:00:00.000000000 -08:00
submission_1004:
  :submitters:
  - :name: Dee Absent
    :sid: '4004'
    :email: dee@uni.example
"""


def test_metadata_parser_reads_submitters_only():
    parsed = parse_metadata(METADATA)
    assert parsed == {
        "submission_1001": [Student("ada@uni.example", "Ada Lovelace", "1815", "ada@uni.example"),
                            Student("bob@uni.example", "Bob O'Brien", "1902", "bob@uni.example")],
        "submission_1002": [Student("2002", "Cy Young", "2002", "")],
        "submission_1004": [Student("dee@uni.example", "Dee Absent", "4004", "dee@uni.example")],
    }
    assert parse_metadata("") == {}
    assert parse_metadata("submission_1:\n  :submitters: []\n") == {"submission_1": []}


def _export(a1, root):
    """Gradescope's export, unpacked: a group with the solution, one with the starter, a folder the
    metadata lacks (syntax error), and a metadata entry with no folder."""
    export = root / "assignment_4242_export"
    (export / "submission_1001").mkdir(parents=True)
    shutil.copy(a1.solution_dir / "forward.py", export / "submission_1001" / "forward.py")
    shutil.copytree(a1.starter_dir, export / "submission_1002" / "hw", ignore=shutil.ignore_patterns("tests", "*.md"))
    (export / "submission_1003").mkdir()
    (export / "submission_1003" / "forward.py").write_text("def sigmoid(:\n")
    (export / "submission_metadata.yml").write_text(METADATA)
    return export


def test_gradescope_export_zip_is_graded_per_student(a1, a1_recorded, tmp_path):
    export = _export(a1, tmp_path / "unpacked")
    archive = tmp_path / "submissions_export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(export.parent.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(export.parent).as_posix())
        zf.writestr("__MACOSX/assignment_4242_export/._submission_metadata.yml", "junk")
    done = nnhw("grade-batch", A1, archive, "--jobs", "2", env=WIDE)
    assert "gradescope layout" in done.stdout
    out = tmp_path / "submissions_export-graded"
    table = {row["student"]: row for row in read_csv(out / "gradebook.csv")}
    assert list(table) == ["2002", "ada@uni.example", "bob@uni.example", "dee@uni.example", "submission_1003"]
    assert table["ada@uni.example"]["total"] == table["bob@uni.example"]["total"] == "18"
    assert table["bob@uni.example"]["name"] == "Bob O'Brien"
    assert table["ada@uni.example"]["submission"] == "submission_1001"
    assert table["2002"]["total"] == "0" and table["2002"]["status"] == "graded"
    assert table["submission_1003"]["total"] == "0"
    assert table["dee@uni.example"]["status"] == "error"
    assert "no files for submission_1004" in table["dee@uni.example"]["notes"]
    assert "submission_1003 is not in submission_metadata.yml" in done.stderr
    results = json.loads((out / "students" / "ada@uni.example+bob@uni.example" / "results.json").read_text())
    assert results["score"] == 18
    assert "dee@uni.example" in done.stdout  # the failed row is listed with its reason


def test_unpacked_export_folder_is_recognised(a1, tmp_path):
    export = _export(a1, tmp_path / "downloads")
    for path in (tmp_path / "downloads", export):
        with collect(path, a1.config.files) as found:
            assert found.layout == "gradescope"
            assert [s.label for s in found.submissions] == ["submission_1002", "submission_1001",
                                                            "submission_1004", "submission_1003"]
            by_label = {s.label: s for s in found.submissions}
            assert [st.name for st in by_label["submission_1001"].students] == ["Ada Lovelace", "Bob O'Brien"]
            assert by_label["submission_1004"].source is None


# -- the folder layout, without grading -----------------------------------------------------------
def test_folder_layout_names_students_by_entry(a1, tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "forward.py").write_text("x = 1\n")
    with zipfile.ZipFile(subs / "alice.zip", "w") as zf:
        zf.writestr("forward.py", "x = 2\n")
    with zipfile.ZipFile(subs / "bob.zip", "w") as zf:
        zf.writestr("forward.py", "x = 3\n")
    (subs / "carol.py").write_text("x = 4\n")
    (subs / "forward.py").write_text("x = 5\n")
    (subs / "README.txt").write_text("notes\n")
    (subs / ".hidden").mkdir()
    (subs / "__MACOSX").mkdir()
    (subs / "graded").mkdir()  # the output folder, inside
    (subs / "weird name; rm -rf").mkdir()
    with collect(subs, a1.config.files, exclude=[subs / "graded"]) as found:
        assert found.layout == "folder"
        keys = {s.key: s for s in found.submissions}
        assert sorted(keys) == ["alice", "alice.zip", "bob", "carol", "forward", "weird_name_rm_-rf"]
        assert [s.key for s in found.submissions] == sorted(keys)
        assert found.ignored == ["README.txt"]
        carol = keys["carol"]
        assert carol.source.is_dir() and (carol.source / "forward.py").read_text() == "x = 4\n"
        assert carol.note == "carol.py graded as forward.py"
        assert keys["forward"].source == subs / "forward.py" and not keys["forward"].note
        staged = carol.source
    assert not staged.exists(), "staged copies go away with the collection"


def test_a_zip_of_the_submissions_folder(a1, tmp_path):
    archive = tmp_path / "hw1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("hw1/dan/forward.py", "x = 1\n")
        zf.writestr("hw1/eve/forward.py", "x = 2\n")
        zf.writestr("../evil/forward.py", "x = 3\n")
    with collect(archive, a1.config.files) as found:
        assert [s.key for s in found.submissions] == ["dan", "eve"]
        assert {s.mtime for s in found.submissions} == {archive.stat().st_mtime}
        unpacked = found.submissions[0].source
        assert unpacked.is_dir()
    assert not unpacked.exists()
    assert not (tmp_path / "evil").exists()


def test_nothing_to_grade_is_an_error(a1, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CollectError, match="holds no submissions"):
        collect(tmp_path / "empty", a1.config.files)
    with pytest.raises(CollectError, match="does not exist"):
        collect(tmp_path / "missing", a1.config.files)


# -- the batch machinery, with a stand-in grader ---------------------------------------------------
class FakeGrader:
    """Answers like grade_in_subprocess without grading: ``plan[name]`` is results or an exception."""

    def __init__(self, config, plan=None):
        self.config, self.plan, self.calls = config, plan or {}, []

    def __call__(self, assignment, upload, out, timeout=None, env=None, seed=None):
        name = Path(upload).name
        self.calls.append(name)
        answer = self.plan.get(name, "full")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, dict):
            return answer
        tests = [{"name": f"{spec.name} title", "number": spec.number, "score": spec.weight if answer == "full" else 0,
                  "max_score": spec.weight, "status": "passed" if answer == "full" else "failed", "output": ""}
                 for spec in self.config.tests]
        return {"score": self.config.max_score if answer == "full" else 0.0, "tests": tests, "output": "",
                "extra_data": {"assignment": A1}}


def _submissions(tmp_path, names):
    folder = tmp_path / "subs"
    subs = []
    for name in names:
        (folder / name).mkdir(parents=True)
        (folder / name / "forward.py").write_text("x = 1\n")
        subs.append(Submission(name, name, folder / name, (Student(name),), time.time() - 60))
    return subs


def test_a_failed_grader_is_a_zero_row_with_its_reason_and_is_retried(a1, tmp_path):
    subs = _submissions(tmp_path, ["ann", "ben", "cat"])
    grader = FakeGrader(a1.config, {"ben": grader_failure("nnhw grade failed (killed by signal 9):\nMemoryError"),
                                    "cat": RuntimeError("no such interpreter")})
    outcomes = grade_batch(a1, subs, tmp_path / "out", jobs=2, grade=grader)
    assert [o.state for o in outcomes] == ["graded", "error", "error"]
    assert [o.score for o in outcomes] == [a1.config.max_score, 0, 0]
    assert outcomes[1].reason == "nnhw grade failed (killed by signal 9): MemoryError"
    assert "no such interpreter" in outcomes[2].reason
    table = rows(a1.config, outcomes)
    text = csv_text(a1.config, table)
    assert "ben,,,,ben,students/ben/results.json," + ",".join(["0"] * len(a1.config.tests)) + ",0,18,error,,nnhw grade failed" in text
    for outcome in outcomes:
        assert json.loads(outcome.path.read_text())["score"] == outcome.score
    # next run: the good one is kept, the failed ones are graded again
    grader2 = FakeGrader(a1.config)
    again = grade_batch(a1, subs, tmp_path / "out", jobs=2, grade=grader2)
    assert sorted(grader2.calls) == ["ben", "cat"]
    assert [o.state for o in again] == ["skipped", "graded", "graded"]
    grader3 = FakeGrader(a1.config)
    grade_batch(a1, subs, tmp_path / "out", jobs=1, regrade=True, grade=grader3)
    assert sorted(grader3.calls) == ["ann", "ben", "cat"]


def test_jobs_grade_that_many_submissions_at_once(a1, tmp_path):
    """Dispatch only (a grader that waits a little): --jobs N keeps exactly N graders busy at
    once, counted rather than timed, so a loaded machine cannot make the test flaky."""
    class Counting(FakeGrader):
        def __init__(self, config):
            super().__init__(config)
            self.lock, self.active, self.most = threading.Lock(), 0, 0

        def __call__(self, *args, **kwargs):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
            time.sleep(0.3)
            with self.lock:
                self.active -= 1
            return super().__call__(*args, **kwargs)

    subs = _submissions(tmp_path, [f"s{i}" for i in range(6)])
    for jobs in (1, 3):
        grader = Counting(a1.config)
        outcomes = grade_batch(a1, subs, tmp_path / f"out{jobs}", jobs=jobs, grade=grader)
        assert [o.state for o in outcomes] == ["graded"] * 6
        assert grader.most == jobs, (jobs, grader.most)


def test_results_for_another_assignment_or_older_than_the_submission_are_not_kept(a1, tmp_path):
    sub = _submissions(tmp_path, ["ann"])[0]
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"score": 1, "tests": [], "extra_data": {"assignment": A1}}))
    assert previous_results(path, sub, A1) is not None
    assert previous_results(path, sub, "a2_backprop") is None
    os.utime(path, (sub.mtime - 1, sub.mtime - 1))
    assert previous_results(path, sub, A1) is None
    os.utime(path, None)
    path.write_text("{not json")
    assert previous_results(path, sub, A1) is None


def test_one_submission_tripping_the_grader_does_not_stop_the_batch(a1, tmp_path):
    misconfigured = {"score": 0.0, "tests": [], "output": "The autograder is misconfigured; please tell your "
                                                           "instructor.\nKeyError: 'x'",
                     "extra_data": {"misconfigured": True}}
    subs = _submissions(tmp_path, ["ann", "ben", "cat"])
    outcomes = grade_batch(a1, subs, tmp_path / "out", jobs=1, grade=FakeGrader(a1.config, {"ben": misconfigured}))
    assert [o.state for o in outcomes] == ["graded", "error", "graded"]
    with pytest.raises(BatchError, match="misconfigured: KeyError"):
        grade_batch(a1, subs, tmp_path / "out2", jobs=1,
                    grade=FakeGrader(a1.config, {"ann": misconfigured, "ben": misconfigured}))


@pytest.mark.e2e
def test_a_grader_past_its_time_is_stopped(a1, tmp_path):
    started = time.monotonic()
    results = grade_in_subprocess(a1, a1.solution_dir, tmp_path / "r.json", timeout=2)
    assert time.monotonic() - started < 20
    assert results["score"] == 0 and results["extra_data"] == {"grader_error": True}
    assert "took longer than 2 s" in results["output"]


@pytest.mark.e2e
def test_the_runner_stops_a_grading_past_its_time_and_grades_the_next(tmp_path):
    """A forked grading that runs too long is killed, its zygote lives on and grades the next one the
    same as a fresh `nnhw grade` process would."""
    course = scratch_course(tmp_path)
    edit(course / "solutions" / A1 / "forward.py", "import numpy as np", "import numpy as np\nimport time")
    slow = tmp_path / "slow"
    slow.mkdir()
    source = (course / "solutions" / A1 / "forward.py").read_text()
    (slow / "forward.py").write_text(source.replace("def sigmoid(z):", "def sigmoid(z):\n    time.sleep(4)", 1))
    a1 = Course(course).assignment(A1)
    with Runner(a1, jobs=1) as runner:
        started = time.monotonic()
        stopped = runner.grade(slow, tmp_path / "slow.json", timeout=3)
        assert time.monotonic() - started < 20
        assert stopped["score"] == 0 and stopped["extra_data"] == {"grader_error": True}
        assert "took longer than 3 s" in stopped["output"]
        forked = runner.grade(a1.solution_dir, tmp_path / "forked.json", timeout=600)
    fresh = grade_in_subprocess(a1, a1.solution_dir, tmp_path / "fresh.json")
    for results in (forked, fresh):
        results.pop("execution_time", None)
    assert forked == fresh and forked["score"] == a1.config.max_score


def test_csv_and_report_are_safe_with_hostile_names(a1, tmp_path):
    student = Student("=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "", "")
    sub = Submission("x", "<img src=x onerror=alert(1)>", None, (student,), 0.0)
    outcome = SimpleNamespace(submission=sub, results={"score": 0, "tests": [], "output": "<b>boom</b>"},
                              state="error", score=0.0, reason="<b>boom</b>")
    table = rows(a1.config, [outcome])
    text = csv_text(a1.config, table)
    assert "'=HYPERLINK" in text
    page = render(A1, "title", a1.config, table)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>boom" not in page
    for chart in re.findall(r"<svg.*?</svg>", page, re.S):
        ElementTree.fromstring(chart)


def test_histogram_bins():
    assert [c for *_, c in bins([0, 0, 17, 18, 18], 18)] == [2] + [0] * 16 + [1, 2]
    tenths = bins([0.0, 49.9, 50.0, 100.0], 100)
    assert len(tenths) == 10 and [c for *_, c in tenths] == [1, 0, 0, 0, 1, 1, 0, 0, 0, 1]
    assert sum(c for *_, c in bins([2.5, 7.25], 7.5)) == 2


# -- nnhw verify notices a property that no longer catches its mutant --------------------------------
@pytest.mark.e2e
def test_verify_reports_the_mutant_a_weakened_property_lets_through(tmp_path):
    course = scratch_course(tmp_path)
    mutants = course / "assignments" / A1 / "mutants"
    for path in mutants.glob("*.py"):
        if path.stem not in ("tanh_slide_formula", "tanh_as_sigmoid"):
            path.unlink()
    # extreme inputs (±710, ±1e300) replaced by moderate floats: the slide's tanh formula passes
    edit(course / "assignments" / A1 / "tests" / "test_forward.py",
         "@given(z=nst.any_arrays(nst.extreme_floats()))\ndef test_tanh_extreme_inputs",
         "@given(z=nst.any_arrays(nst.floats(-5.0, 5.0)))\ndef test_tanh_extreme_inputs")
    # at the default 80 columns (no terminal): the table must still show every row whole
    done = nnhw("verify", A1, "--jobs", "2", check=False, env={"NNHW_COURSE_ROOT": str(course)}, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert max(map(len, done.stdout.splitlines()[:8])) <= 80, done.stdout
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("solution", "starter", "tanh_slide_formula", "tanh_as_sigmoid")}
    tests = len(Course(course).assignment(A1).config.tests)
    for name, ok in (("solution", "✓"), ("starter", "✓"), ("tanh_as_sigmoid", "✓"), ("tanh_slide_formula", "✗")):
        score, *pattern, verdict = rows[name]
        assert verdict == ok and len("".join(pattern)) == tests, (name, done.stdout)
    assert set("".join(rows["starter"][1:-1])) == {"✗"} and set("".join(rows["solution"][1:-1])) == {"·"}
    assert set("".join(rows["tanh_slide_formula"][1:-1])) == {"·"}  # no test fails any more
    assert "✗ tanh_slide_formula: no test catches this mutant" in done.stdout
    assert "✗ tanh_slide_formula: no test of tanh fails" in done.stdout
    assert "Error: 1 submission(s) were not graded as expected" in done.stderr


@pytest.mark.e2e
def test_runners_that_share_graders_grade_each_assignment_as_alone(a1, tmp_path):
    """verify's runners, one per assignment, share their zygotes: one grader process serves a1 and then a2,
    and a2's starter (every test failing, each with its message) grades as in a fresh `nnhw grade` process;
    an unknown assignment fails that request only."""
    a2 = a1.course.assignment("a2_backprop")
    with Zygotes() as zygotes:
        for assignment in (a1, a2):
            with Runner(assignment, jobs=1, zygotes=zygotes) as runner:
                shared = runner.grade(assignment.starter_dir, tmp_path / f"{assignment.id}.json", timeout=600)
        assert len(zygotes._idle) == 1  # one grader served both
        zygote = zygotes._idle[0]
        unknown = zygote.grade(SimpleNamespace(id="a9_unknown"), a1.solution_dir, tmp_path / "unknown.json")
        assert unknown["extra_data"] == {"grader_error": True} and "a9_unknown" in unknown["output"]
        assert zygote.process.poll() is None  # and goes on serving
    fresh = grade_in_subprocess(a2, a2.starter_dir, tmp_path / "fresh.json")
    for results in (shared, fresh):
        results.pop("execution_time", None)
    assert shared == fresh and shared["score"] == 0 and len(shared["tests"]) == len(a2.config.tests)


def test_a_batch_of_one_replays_the_course_s_recording(a1, a1_recorded, tmp_path):
    """The solution's examples recorded by an earlier verify, build or batch are replayed however few the
    submissions: no batch grades the solution again to record them."""
    subs = _submissions(tmp_path, ["ann"])
    shutil.copy(a1.solution_dir / "forward.py", subs[0].source / "forward.py")
    (outcome,) = grade_batch(a1, subs, tmp_path / "out", jobs=1)
    assert outcome.results["score"] == a1.config.max_score
    assert outcome.results["extra_data"]["replayed"] == sorted(spec.name for spec in a1.config.tests)


# -- what the class got wrong, and tests not graded here -------------------------------------------
def _results(config, failing=None, not_graded=()):
    """A submission's results.json: the tests in ``failing`` ({test name: feedback}) fail, those in
    ``not_graded`` skipped themselves (no GPU), the others pass."""
    outcomes = {}
    for spec in config.tests:
        title = f"{spec.name.removeprefix('test_')}: its title"
        if spec.name in not_graded:
            outcomes[spec.name] = Outcome(spec.name, title, False, "not graded here: this grader has no GPU", True)
        else:
            feedback = (failing or {}).get(spec.name)
            outcomes[spec.name] = Outcome(spec.name, title, feedback is None, feedback or "")
    return extra_data.write(results_json.assemble(config, outcomes), assignment=A1)


def _feedback(cause=None):
    return "sigmoid: wrong values\n" + (f"{LIKELY_CAUSE}{cause}\n" if cause else "") + "expected: 1.0 got: 2.0"


def test_the_report_and_gradebook_show_what_the_class_got_wrong(a1, tmp_path):
    first, second, gpu = a1.config.tests[0], a1.config.tests[1], a1.config.tests[-1]
    plan = {"ann": {first.name: _feedback("forgot the bias"), second.name: _feedback("forgot the bias")},
            "ben": {first.name: _feedback("forgot the bias")}, "cat": {first.name: _feedback("transposed W")},
            "dan": {first.name: _feedback()}, "eve": {}, "fay": {first.name: _feedback("a <b>bold</b> cause")},
            "gus": {first.name: _feedback("W doubled")}}
    subs = _submissions(tmp_path, list(plan))
    grader = FakeGrader(a1.config, {name: _results(a1.config, failing, [gpu.name]) for name, failing in plan.items()})
    table = rows(a1.config, grade_batch(a1, subs, tmp_path / "out", jobs=1, grade=grader))

    gradebook = {row["student"]: row for row in csv.DictReader(io.StringIO(csv_text(a1.config, table)))}
    assert gradebook["ann"]["likely_causes"] == f"{first.number}: forgot the bias; {second.number}: forgot the bias"
    assert gradebook["dan"]["likely_causes"] == gradebook["eve"]["likely_causes"] == ""
    for row in gradebook.values():  # not graded: an empty cell, not a 0, and not in the maximum
        assert row[gpu.name] == "" and float(row["max_score"]) == a1.config.max_score - gpu.weight
        assert row["notes"] == "", "the empty cell says it: no line per student about it"
    assert float(gradebook["eve"]["total"]) == float(gradebook["eve"]["max_score"])

    page = render(A1, "title", a1.config, table)
    per_test = re.search(rf"<tr><td class='n'>{first.number}</td>.*?</tr>", page, re.S).group(0)
    assert "forgot the bias: <b>2 of 7</b>" in per_test  # the most common first
    assert per_test.index("forgot the bias") < per_test.index("transposed W")
    assert "1 other cause: 1 of 7" in per_test and "no likely cause named: 1 of 7" in per_test
    assert "a &lt;b&gt;bold&lt;/b&gt; cause" in page and "<b>bold</b>" not in page
    summary = page.split("What the class got wrong")[1].split("</table>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>.*?</td>", summary)]
    assert cells[:3] == ["forgot the bias", "2 of 7", f"{first.number}, {second.number}"], "once per student"
    assert f"Not graded here: test {gpu.number} (this grader has no GPU)" in page
    assert "full marks" in page and re.search(r"<td>full marks</td><td class='n'>1</td>", page)
    for chart in re.findall(r"<svg.*?</svg>", page, re.S):
        ElementTree.fromstring(chart)
