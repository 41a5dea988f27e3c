"""One lock, used everywhere: what it pins, how torch's CPU build is fetched, and the bundle's setup.sh."""

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement

from autograder import lockinstall
from autograder.authoring.build import bundle_tree, deterministic_zip
from autograder.grading import versions as environment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def pins(group):
    return dict(pin.split("==") for pin in lockinstall.read_lock(LOCK)[group])


def test_the_lock_pins_every_runtime_dependency_within_pyproject_ranges():
    """pyproject.toml keeps ranges (``pip install nnhw`` works anywhere); the lock picks one version in each."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {name.lower(): version for name, version in pins("runtime").items()}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        assert requirement.name.lower() in runtime, f"{requirement.name} is a dependency but not in the lock"
        assert requirement.specifier.contains(runtime[requirement.name.lower()], prereleases=True), \
            f"the lock's {requirement.name}=={runtime[requirement.name.lower()]} is outside {requirement}"
    assert {"numpy", "hypothesis", "pytest", "torch"} <= set(runtime)


def test_the_lock_is_installable_on_gradescope_python_3_10():
    """numpy 2.3+ and hypothesis after 6.168.5 publish nothing for Python 3.10 (Gradescope's Ubuntu 22.04)."""
    runtime = pins("runtime")
    assert tuple(map(int, runtime["numpy"].split(".")[:2])) < (2, 3)
    assert tuple(map(int, runtime["hypothesis"].split("."))) <= (6, 168, 5)


def test_this_environment_grades_with_the_locked_versions():
    """scripts/bootstrap installed the lock; a drift here means the lock and the install disagree."""
    assert environment.lock_drift(LOCK) == []


def test_a_lock_line_that_is_not_an_exact_pin_is_refused(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# [runtime]\nnumpy>=2\n")
    with pytest.raises(lockinstall.LockError, match=r"requirements.lock:2: 'numpy>=2' is not an exact pin"):
        lockinstall.read_lock(lock)


def _recording_runner(results):
    calls = []

    def run(command, env):
        calls.append(SimpleNamespace(command=command, env=env))
        return SimpleNamespace(returncode=results[len(calls) - 1])

    return calls, run


def test_torch_comes_from_pytorchs_cpu_index_first(tmp_path):
    """The first attempt names the CPU index and the pinned version, and nothing else to look in."""
    calls, run = _recording_runner([0, 0])
    lockinstall.install("/venv/bin/python", LOCK, ("runtime",), run=run, say=lambda _: None)
    first = calls[0]
    assert first.command[:4] == ["/venv/bin/python", "-m", "pip", "install"]
    assert first.command[first.command.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert int(first.command[first.command.index("--timeout") + 1]) <= 30
    assert first.command[-1] == f"torch=={pins('runtime')['torch']}"
    assert first.env["PIP_CONFIG_FILE"] == os.devnull  # no configured mirror or find-links can answer instead
    assert not set(lockinstall.SOURCE_VARIABLES) & set(first.env)
    assert len(calls) == 2 and "-r" in calls[1].command  # the CPU build was had: then the other pins


def test_torch_falls_back_to_the_default_index_at_the_same_version():
    calls, run = _recording_runner([1, 0, 0])
    said = []
    lockinstall.install("/venv/bin/python", LOCK, ("runtime",), run=run, say=said.append)
    assert calls[1].command[-1] == calls[0].command[-1] == f"torch=={pins('runtime')['torch']}"
    # the fallback is pip as configured here: its own index, its own config
    assert "--index-url" not in calls[1].command
    assert calls[1].env.get("PIP_CONFIG_FILE") == os.environ.get("PIP_CONFIG_FILE")
    assert any("could not be reached" in line for line in said)


def test_no_torch_and_unknown_groups():
    calls, run = _recording_runner([0])
    lockinstall.install("/p", LOCK, ("runtime",), with_torch=False, run=run, say=lambda _: None)
    assert len(calls) == 1 and not any("torch==" in part for part in calls[0].command)
    with pytest.raises(lockinstall.LockError, match="no group"):
        lockinstall.install("/p", LOCK, ("nonsense",), run=run, say=lambda _: None)


@pytest.mark.needs_torch  # it installs torch
@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="setup.sh's last check drops to another uid (root only), with the system Python")
@pytest.mark.e2e
def test_bundle_setup_sh_installs_the_lock_through_the_fallback(course):
    """The real setup.sh of a bundle, into a fresh venv: here PyTorch's index is out of reach, so torch comes
    from the default index at the locked version; every runtime pin lands exactly, and nnhw imports."""
    with tempfile.TemporaryDirectory(prefix="nnhw-setup-") as place:  # not pytest's: that one is root-only
        os.chmod(place, 0o755)  # setup.sh checks that another uid can run the interpreter
        run_setup(course, Path(place))


def run_setup(course, place):
    """Unzip a bundle and run its setup.sh with a fresh venv standing in for Gradescope's system Python."""
    venv = place / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
    assignment = course.assignment(course.ids()[0])
    bundle = place / "bundle"
    with zipfile.ZipFile(deterministic_zip(place / "bundle.zip", bundle_tree(assignment))) as zf:
        zf.extractall(bundle)
    os.chmod(bundle / "setup.sh", 0o755)
    done = subprocess.run(["bash", str(bundle / "setup.sh")], env={**os.environ, "NNHW_PYTHON": str(venv / "bin/python")},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "could not be reached" in done.stdout  # the fallback ran (no route to PyPI's CPU index here)
    check = subprocess.run([str(venv / "bin/python"), "-c",
                            "from autograder.grading import versions; print(versions.lock_drift(%r))" % str(LOCK)],
                           capture_output=True, text=True, cwd=place)
    assert check.stdout.strip() == "[]", check.stdout + check.stderr
