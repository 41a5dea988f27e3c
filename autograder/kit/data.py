"""Data files an assignment makes at build time (``[data]`` in assignment.toml).

An assignment may need real data (a4's handwritten digits) that come from a package only
the instructor installs. ``assignments/<id>/<script>`` defines ``make_data()`` returning
``{file name: {array name: ndarray}}``; ``nnhw build`` writes each file as an ``.npz`` into
``assignments/<id>/data/`` (the grader's copy, which goes into the Gradescope bundle, where the
student's worker cannot read it) and the files named in ``starter`` also into the starter.

The ``.npz`` bytes are deterministic (sorted entries, fixed timestamps, plain ``.npy``
arrays), so identical data give identical files, starters and bundles. Graded tests read
them with :func:`load`, which never unpickles.
"""

import importlib.util
import io
import zipfile

import numpy as np

from autograder import protocol
from autograder.config import ConfigError
from autograder.course import data_dir

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class DataError(ConfigError):
    """The data cannot be made or found (which assignment, which file, what to do): the instructor's to fix."""


def npz_bytes(arrays):
    """``{name: ndarray}`` as the bytes of an ``.npz`` that ``numpy.load`` reads, identical for identical arrays."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            zf.writestr(fixed_zip_entry(f"{name}.npy"), protocol.array_to_npy(arrays[name]))
    return buffer.getvalue()


def fixed_zip_entry(name, mode=0o644):
    """A zip entry that records nothing about when or where it was written: fixed time, given mode."""
    info = zipfile.ZipInfo(name, ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | mode) << 16
    return info


def _check_made(made, spec, script):
    if not isinstance(made, dict) or not made:
        raise DataError(f"{script}: make_data() should return {{file name: {{array name: array}}}}, got {type(made).__name__}")
    for name, arrays in made.items():
        if not (isinstance(name, str) and name.endswith(".npz") and "/" not in name):
            raise DataError(f"{script}: make_data() returned the file name {name!r}; use plain names ending in .npz")
        if not isinstance(arrays, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray)
                                                    for k, v in arrays.items()):
            raise DataError(f"{script}: make_data()[{name!r}] should be {{array name: numpy array}}")
    missing = sorted(set(spec.starter) - set(made))
    if missing:
        raise DataError(f"{script}: [data] starter names {', '.join(missing)}, which make_data() does not return "
                        f"(it returns {', '.join(sorted(made))})")


def make_files(assignment):
    """``{file name: npz bytes}`` for every file the assignment's data script makes (empty without ``[data]``)."""
    spec = assignment.config.data
    if spec is None:
        return {}
    script = assignment.dir / spec.script
    if not script.is_file():
        raise DataError(f"{script}: [data] script is missing (it should define make_data())")
    module_spec = importlib.util.spec_from_file_location(f"nnhw_data_{assignment.id}", script)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
        made = module.make_data()
    except ModuleNotFoundError as exc:
        packages = " ".join(spec.requires) or exc.name
        raise DataError(f"building {assignment.id}'s data needs the Python package(s) {packages} ({exc}); "
                        f"install them with `pip install -e '.[course]'` or `pip install {packages}`") from None
    _check_made(made, spec, script)
    return {name: npz_bytes(arrays) for name, arrays in sorted(made.items())}


def starter_files(assignment, files):
    """The made files that students get too."""
    spec = assignment.config.data
    return {name: files[name] for name in (spec.starter if spec else ())}


def load(assignment_dir, name):
    """The arrays of one built data file, ``{array name: ndarray}`` (no pickles)."""
    path = data_dir(assignment_dir) / name
    if not path.is_file():
        raise DataError(f"{path} is missing: run `nnhw build {assignment_dir.name}` to make it")
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}
