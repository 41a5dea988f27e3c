"""Shared fixtures for the engine's own tests."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder.course import Course  # noqa: E402


@pytest.fixture(scope="session")
def course():
    return Course(ROOT)


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory):
    """The built bundles (dist/), rebuilt once per test session into a temporary folder."""
    from autograder.build import bundle_tree, deterministic_zip

    dist = tmp_path_factory.mktemp("dist")
    for assignment in Course(ROOT).assignments():
        deterministic_zip(dist / f"{assignment.id}-autograder.zip", bundle_tree(assignment))
    return dist

