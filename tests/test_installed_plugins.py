"""A pytest plugin installed on the grading machine does not reach the graded tests.

pytest loads every installed plugin it finds (its ``pytest11`` entry points) unless told not to. A
TA's laptop may have pytest-randomly, which shuffles the tests and reseeds the random generators, or
a plugin that reruns or reports failures its own way: grades would then depend on the machine. The
grader runs the graded tests with hypothesis's plugin alone (:data:`grader.HYPOTHESIS_PYTEST_PLUGIN`).
"""

import json
import os
import subprocess
import sys

import pytest
from helpers import TOY, nnhw, write, write_toy_course

pytestmark = pytest.mark.needs_worker  # grades through a real worker

#: an installed plugin at its worst: every test it sees passes
PASS_EVERYTHING = '''
import pytest


@pytest.hookimpl(hookwrapper=True, trylast=True)  # innermost: whoever reads the report sees its change
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome, report.longrepr = "passed", None
'''


def install_plugin(site):
    """``pass_everything`` as pip would install it into ``site``: the module and its entry point."""
    write(site / "pass_everything.py", PASS_EVERYTHING)
    write(site / "pass_everything-1.0.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: pass-everything\n"
                                                               "Version: 1.0\n")
    write(site / "pass_everything-1.0.dist-info" / "entry_points.txt", "[pytest11]\npass_everything = pass_everything\n")
    return site


@pytest.mark.e2e
def test_an_installed_plugin_cannot_pass_a_stub(tmp_path):
    course = write_toy_course(tmp_path / "course")
    env = {"NNHW_COURSE_ROOT": str(course), "PYTHONPATH": str(install_plugin(tmp_path / "site"))}
    listed = subprocess.run([sys.executable, "-c", "from importlib.metadata import entry_points as e; "
                                                   "print(sorted(p.name for p in e(group='pytest11')))"],
                            capture_output=True, text=True, check=True, env={**os.environ, **env}).stdout
    assert "pass_everything" in listed  # installed: a plain pytest run would load it
    out = tmp_path / "results.json"
    nnhw("grade", TOY, course / "starter" / TOY, "--out", out, "--quiet", env=env)
    (test,) = json.loads(out.read_text())["tests"]
    assert test["score"] == 0 and test["status"] == "failed", test
