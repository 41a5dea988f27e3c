"""Data files made at build time ([data] in assignment.toml): deterministic bytes, the right files in
the starter and the bundle, a clear message when the instructor's extra package is missing, and a
test split the student's code can neither read nor be handed."""

import io
import os
import zipfile

import numpy as np
import pytest
from test_config_errors import assert_clean_error, cli, edit, scratch_course

from autograder.authoring.build import bundle_tree, stale_data, starter_tree
from autograder.config import ConfigError
from autograder.kit import data

pytestmark = pytest.mark.needs_worker  # grades (or confines) through a real worker

A4 = "a4_pytorch"


@pytest.fixture(scope="module")
def a4(course):
    return course.assignment(A4)


@pytest.fixture(scope="module")
def made(a4):
    return data.make_files(a4)


def arrays(blob):
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_npz_bytes_are_deterministic_and_plain_npy():
    values = {"y": np.arange(5, dtype=np.int64), "x": np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)}
    first, second = data.npz_bytes(values), data.npz_bytes(dict(reversed(list(values.items()))))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert [i.filename for i in zf.infolist()] == ["x.npy", "y.npy"]
        assert {i.date_time for i in zf.infolist()} == {data.ZIP_EPOCH}
    loaded = arrays(first)
    assert loaded.keys() == values.keys() and all(np.array_equal(loaded[k], values[k]) for k in values)
    assert all(loaded[k].dtype == values[k].dtype for k in values)


def test_digits_split_is_fixed_stratified_and_exact(a4, made):
    assert sorted(made) == ["digits_test.npz", "digits_train.npz"]
    assert data.make_files(a4) == made, "the same bytes on every build"
    train, test = arrays(made["digits_train.npz"]), arrays(made["digits_test.npz"])
    assert train["x"].shape == (1437, 1, 8, 8) and test["x"].shape == (360, 1, 8, 8)
    assert train["x"].dtype == np.float32 and train["y"].dtype == np.int64
    for split in (train, test):
        assert np.array_equal(split["x"] * 16, np.round(split["x"] * 16)), "pixel / 16 is exact in float32"
        assert split["x"].min() == 0 and split["x"].max() == 1
    counts_train, counts_test = np.bincount(train["y"], minlength=10), np.bincount(test["y"], minlength=10)
    share = counts_test / (counts_train + counts_test)
    assert np.all(np.abs(share - 360 / 1797) < 0.02), share  # every class in proportion
    train_rows = {row.tobytes() for row in train["x"]}
    leaked = sum(row.tobytes() in train_rows for row in test["x"])
    assert leaked <= 3, f"{leaked} test images also in the training split"  # the UCI set has a few duplicates
    assert stale_data(a4, made) == [], "assignments/a4_pytorch/data is stale: run `nnhw build a4_pytorch`"


def test_students_get_the_training_split_only(a4, made):
    starter = starter_tree(a4, made)
    assert starter["digits_train.npz"] == made["digits_train.npz"]
    assert not any("digits_test" in path for path in starter)
    bundle = bundle_tree(a4)
    assert bundle[f"assignments/{A4}/data/digits_test.npz"] == made["digits_test.npz"]
    assert starter["training_curve.png"] == (a4.dir / "training_curve.png").read_bytes(), "the handout's picture"


def test_missing_instructor_package_is_named(tmp_path):
    course = scratch_course(tmp_path, ids=(A4,))
    edit(course / "assignments" / A4 / "data.py", "from sklearn.datasets import load_digits",
         "from sklearn_not_installed_here.datasets import load_digits")
    result = cli(course, "build", A4, "--dist", tmp_path / "dist")
    assert_clean_error(result, "scikit-learn", "pip install")
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("old, new, fragments", [
    ('script = "data.py"', 'script = "data"', ["[data] script", ".py file name"]),
    ('starter = ["digits_train.npz"]', 'starter = ["digits_trian.npz"]', ["digits_trian.npz", "make_data()"]),
    ('script = "data.py"', 'script = "data.py"\nseed = 3', ["unknown key", "'seed'"]),
    ('worker_modules = ["harness.py"]', 'worker_modules = ["digits_cnn.py"]', ["worker_modules", "digits_cnn.py"]),
    ('worker_modules = ["harness.py"]', 'worker_modules = ["../harness.py"]', ["worker_modules", ".py file names"]),
])
def test_broken_data_config_is_a_clean_error(tmp_path, old, new, fragments):
    course = scratch_course(tmp_path, ids=(A4,))
    edit(course / "assignments" / A4 / "assignment.toml", old, new)
    assert_clean_error(cli(course, "build", A4, "--dist", tmp_path / "dist"), *fragments)


def test_missing_data_file_is_the_instructors_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="nnhw build"):
        data.load(tmp_path / "a9_nothing", "digits_test.npz")


# The hidden test split, as Gradescope lays it out: a submission's fit looks for it everywhere it could.
SNOOP = '''

def fit(x, y, seed=0):
    import glob, os
    found = []
    for path in ["@@SECRET@@", *glob.glob("**/*.npz", recursive=True),
                 *glob.glob("/tmp/**/digits_test.npz", recursive=True)]:
        try:
            with open(path, "rb") as fh:
                fh.read(10)
            found.append(path)
        except OSError:
            pass
    raise RuntimeError("SNOOPED=" + repr(found) + " CWD=" + repr(sorted(os.listdir("."))))
'''


@pytest.mark.e2e
@pytest.mark.skipif(os.geteuid() != 0, reason="the worker runs under its own uid only when grading as root")
def test_test_split_is_out_of_the_workers_reach(a4, tmp_path):
    from fake_gradescope import make_container

    from autograder.authoring.build import deterministic_zip
    from autograder.course import Course
    from autograder.grading.grader import grade
    from autograder.grading.gradescope import lock_down

    submission = tmp_path / "submission"
    submission.mkdir()
    source = (a4.solution_dir / "digits_cnn.py").read_text(encoding="utf-8")
    root = tmp_path / "autograder"
    secret = root / "source" / "assignments" / A4 / "data" / "digits_test.npz"
    (submission / "digits_cnn.py").write_text(source + SNOOP.replace("@@SECRET@@", str(secret)), encoding="utf-8")
    make_container(tmp_path, deterministic_zip(tmp_path / "bundle.zip", bundle_tree(a4)), submission)
    assert secret.is_file()
    for folder in [tmp_path, *tmp_path.parents][:3]:  # pytest's own 0700 folders would hide it anyway:
        os.chmod(folder, 0o711)                        # let only the bundle's lock-down keep it private
    lock_down(root)
    results = grade(Course(root / "source").assignment(A4), root / "submission", keyword="test_fit_accuracy")
    (fit,) = results["tests"]
    assert "SNOOPED=[]" in fit["output"], fit["output"]
    assert "digits_test" not in fit["output"].split("CWD=")[1]
    assert fit["score"] == 0
