"""Unpacking a student's zip: only plain files inside the unpack folder, whatever the zip says."""

import tempfile
import zipfile
from pathlib import Path

from autograder.grading.submission import locate, safe_zip_parts


def _zip(path, entries, links=()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # a symlink, as `zip -y` stores it
            zf.writestr(info, target)
    return path


def test_only_plain_files_inside_the_folder_are_unpacked(tmp_path):
    escapee = f"nnhw_escaped_{tmp_path.name}.py"  # a name no other test uses
    upload = _zip(tmp_path / "upload.zip",
                  {f"../{escapee}": "escaped = 1\n", f"/tmp/{escapee}": "escaped = 2\n",
                   "src\\forward.py": "kept = 1\n", "src/": ""},
                  links=[("forward.py", "/autograder/source/solutions/a1_forward/forward.py")])
    # a `..` entry would land beside the unpack folder (in the temp dir), an absolute one in /tmp
    outside = [Path(tempfile.gettempdir()) / escapee, Path("/tmp") / escapee]
    located = locate(upload, ["forward.py"])
    try:
        chosen = located.files["forward.py"]
        assert chosen is not None and chosen.read_text() == "kept = 1\n"  # not the link, not the escapee
        chosen_root = chosen.parent.parent
        unpacked = sorted(p.relative_to(chosen_root).as_posix() for p in chosen_root.rglob("*"))
        assert unpacked == ["src", "src/forward.py"]
        assert not any(p.exists() for p in outside), outside
    finally:
        located.cleanup()
        for p in outside:
            p.unlink(missing_ok=True)


def test_safe_zip_parts_refuses_each_unsafe_kind(tmp_path):
    upload = _zip(tmp_path / "kinds.zip", {"a/../../b.py": "", "/abs.py": "", "dir/": "", "win\\b.py": ""},
                  links=[("link.py", "elsewhere")])
    parts = {e.filename: safe_zip_parts(e) for e in zipfile.ZipFile(upload).infolist()}
    assert parts == {"a/../../b.py": None, "/abs.py": None, "dir/": None, "win\\b.py": ("win", "b.py"),
                     "link.py": None}
