"""Find each student's submission in what an instructor downloaded.

Two layouts are understood:

- a folder (or a zip of one) of submissions, one entry per student: a folder, a zip, or a
  single ``.py`` file, the student being the entry's name (``alice/``, ``bob.zip``,
  ``carol.py``);
- Gradescope's "Export Submissions" archive (the zip, or its unpacked folder, which may sit
  one folder down, e.g. ``assignment_123_export/``): ``submission_metadata.yml`` maps each
  ``submission_<id>`` folder to its submitters (``:name:``, ``:sid:``, ``:email:``); a folder
  the metadata does not name falls back to its folder name.

Nothing here runs or imports a student's code; archives are unpacked with limits, without
links or paths that leave the target folder.
"""

import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.submission import safe_zip_parts

METADATA = "submission_metadata.yml"
IGNORED_NAMES = {"__MACOSX", "__pycache__", ".DS_Store", "Thumbs.db", METADATA}
SUBMISSION_SUFFIXES = {".zip", ".py"}
MAX_EXPORT_BYTES = 4 << 30
MAX_EXPORT_ENTRIES = 200_000
MAX_STAGED_BYTES = 16 << 20
MAX_WALK = 20_000


class CollectError(ValueError):
    """The submissions cannot be read as a batch (empty, not a folder or zip, a broken archive)."""


@dataclass(frozen=True)
class Student:
    id: str            # the gradebook's key: email, else sid, else name, else the folder name
    name: str = ""
    sid: str = ""
    email: str = ""


@dataclass
class Submission:
    key: str                       # unique, file-system safe: the student's folder in the output
    label: str                     # where it came from, for people: "bob.zip", "submission_123"
    source: Path | None            # what `nnhw grade` is given; None when there is nothing to grade
    students: tuple                # Student, one or more (a Gradescope group submission)
    mtime: float                   # newest modification time of what the student handed in
    problem: str = ""              # why it cannot be graded, when source is None
    note: str = ""                 # e.g. "carol.py graded as forward.py"


@dataclass
class Collection:
    submissions: list
    layout: str                    # "folder" or "gradescope"
    ignored: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    _temp: object = None

    def cleanup(self):
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# -- small pieces ---------------------------------------------------------------------------
def safe_key(text):
    """A folder name made from ``text``: letters, digits and ``.@+-_`` only, never hidden."""
    key = re.sub(r"[^\w.@+-]+", "_", str(text), flags=re.ASCII).strip("._")[:100]
    return key or "student"


def newest_mtime(path):
    """Modification time of a file, or the newest of a folder and everything in it (links ignored)."""
    path = Path(path)
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        seen = 0
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in dirs + files:
                seen += 1
                if seen > MAX_WALK:
                    return newest
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except OSError:
                    pass
    return newest


def _ignored(path):
    return path.name.startswith(".") or path.name in IGNORED_NAMES


def extract_archive(archive, target):
    """Unpack ``archive`` into ``target``: no links, no absolute or ``..`` paths, size-limited."""
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = zf.infolist()
            if len(entries) > MAX_EXPORT_ENTRIES:
                raise CollectError(f"{archive}: holds {len(entries)} files, more than {MAX_EXPORT_ENTRIES}")
            if sum(e.file_size for e in entries) > MAX_EXPORT_BYTES:
                raise CollectError(f"{archive}: unpacks to more than {MAX_EXPORT_BYTES >> 30} GB")
            for entry in entries:
                parts = safe_zip_parts(entry)
                if parts is None or "__MACOSX" in parts:
                    continue
                dest = Path(target).joinpath(*parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(entry) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise CollectError(f"{archive}: not a readable zip file ({exc})") from None


# -- Gradescope's submission_metadata.yml ---------------------------------------------------
_TOP_KEY = re.compile(r"^(?P<key>'[^']*'|\"[^\"]*\"|[^\s#'\"][^:#]*?)\s*:\s*(?:#.*)?$")
_FIELD = re.compile(r"^:?(?P<key>[A-Za-z_]+):(?:\s+(?P<value>.*?))?\s*$")


def _scalar(text):
    text = (text or "").strip()
    if text in ("", "~", "null", "Null", "NULL"):
        return ""
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return re.sub(r"\s+#.*$", "", text)


def parse_metadata(text):
    """``{submission folder: [Student, ...]}`` from Gradescope's ``submission_metadata.yml``.

    The file is YAML written by Ruby (keys like ``:submitters:``, ``:name:``; values may carry
    Ruby tags). Only the submitters of each top-level entry are read, line by line, so neither
    a YAML library nor the rest of the file (scores, history, results) matters.
    """
    entries, folder, first_indent, block_indent, person = {}, None, None, None, None

    def finish_person():
        nonlocal person
        if person is not None and folder is not None:
            name, sid, email = person.get("name", ""), person.get("sid", ""), person.get("email", "")
            ident = email or sid or name
            if ident:
                entries[folder].append(Student(ident, name, sid, email))
        person = None

    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            finish_person()
            match = _TOP_KEY.match(line)
            folder = _scalar(match.group("key")) if match else None
            if folder is not None:
                entries.setdefault(folder, [])
            first_indent = block_indent = None
            continue
        if folder is None:
            continue
        if first_indent is None:
            first_indent = indent
        if block_indent is not None:  # inside :submitters:
            if indent < block_indent or (indent == block_indent and not stripped.startswith("-")):
                finish_person()
                block_indent = None
            else:
                if stripped.startswith("-"):
                    finish_person()
                    person = {}
                    stripped = stripped[1:].strip()
                    if not stripped:
                        continue
                match = _FIELD.match(stripped)
                if person is not None and match and match.group("key") in ("name", "sid", "email"):
                    person.setdefault(match.group("key"), _scalar(match.group("value")))
                continue
        if indent == first_indent:
            match = _FIELD.match(stripped)
            if match and match.group("key") == "submitters" and (match.group("value") or "") in ("", "[]"):
                block_indent = None if match.group("value") else indent
    finish_person()
    return {folder: people for folder, people in entries.items()}


# -- layouts --------------------------------------------------------------------------------
def _export_root(folder, exclude=()):
    """The folder holding ``submission_metadata.yml``: ``folder`` itself or its only subfolder."""
    if (folder / METADATA).is_file():
        return folder
    entries = [p for p in folder.iterdir() if not _ignored(p) and not any(_same(p, e) for e in exclude)]
    subfolders = [p for p in entries if p.is_dir()]
    others = [p for p in entries if not p.is_dir()]
    if len(subfolders) == 1 and not others and (subfolders[0] / METADATA).is_file():
        return subfolders[0]
    return None


def _unique_keys(submissions):
    """Make keys unique (``alice``, ``alice-2``) in a deterministic order."""
    seen = {}
    for submission in sorted(submissions, key=lambda s: (s.key, s.label)):
        count = seen.get(submission.key.lower(), 0) + 1
        seen[submission.key.lower()] = count
        if count > 1:
            submission.key = f"{submission.key}-{count}"
    return sorted(submissions, key=lambda s: s.key)


def _stage(file, wanted, collection, key):
    """A loose ``carol.py`` in a folder of submissions is carol's file: grade it under the
    assignment's one file name, so a class that hands in ``<student>.py`` files is graded."""
    if len(wanted) != 1 or file.suffix != ".py" or file.name == wanted[0] or file.stat().st_size > MAX_STAGED_BYTES:
        return file, ""
    if collection._temp is None:
        collection._temp = tempfile.TemporaryDirectory(prefix="nnhw-batch-")
    folder = Path(collection._temp.name) / "staged" / key
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, folder / wanted[0])
    return folder, f"{file.name} graded as {wanted[0]}"


def _folder_layout(folder, wanted, exclude, collection, mtime_override=None):
    submissions = []
    for entry in sorted(folder.iterdir()):
        if _ignored(entry) or any(_same(entry, e) for e in exclude):
            continue
        if entry.is_symlink():
            collection.ignored.append(f"{entry.name} (a link)")
            continue
        if entry.is_file() and entry.suffix not in SUBMISSION_SUFFIXES:
            collection.ignored.append(entry.name)
            continue
        name = entry.name if entry.is_dir() else entry.stem
        mtime = mtime_override if mtime_override is not None else newest_mtime(entry)
        source, note = entry, ""
        if entry.is_file():
            source, note = _stage(entry, wanted, collection, safe_key(entry.name))
        submissions.append(Submission(safe_key(name), entry.name, source, (Student(name),), mtime, note=note))
    # alice/ and alice.zip are both "alice": keep the suffix to tell them apart
    stems = {}
    for s in submissions:
        stems.setdefault(s.key.lower(), []).append(s)
    for clashing in (group for group in stems.values() if len(group) > 1):
        for s in clashing:
            s.key = safe_key(s.label)
    return _unique_keys(submissions)


def _gradescope_layout(root, exclude, collection, mtime_override=None):
    try:
        metadata = parse_metadata((root / METADATA).read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        metadata = {}
        collection.warnings.append(f"{root / METADATA} could not be read ({exc}); students are named by folder")
    if not metadata:
        collection.warnings.append(f"{root / METADATA} names no submitters; students are named by folder")
    submissions = []
    present = {}
    for entry in sorted(root.iterdir()):
        if _ignored(entry) or entry.is_symlink() or any(_same(entry, e) for e in exclude):
            continue
        stem = entry.name if entry.is_dir() else entry.stem
        if entry.is_dir() or entry.suffix in SUBMISSION_SUFFIXES or stem in metadata:
            present[stem] = entry
        else:
            collection.ignored.append(entry.name)
    for folder in sorted(set(present) | set(metadata)):
        people = tuple(metadata.get(folder) or ())
        if folder not in metadata:
            collection.warnings.append(f"{folder} is not in {METADATA}; the student is named by the folder")
        students = people or (Student(folder),)
        key = safe_key("+".join(s.id for s in students))
        entry = present.get(folder)
        if entry is None:
            submissions.append(Submission(key, folder, None, students, 0.0,
                                          problem=f"the export has no files for {folder}"))
            continue
        mtime = mtime_override if mtime_override is not None else newest_mtime(entry)
        submissions.append(Submission(key, folder, entry, students, mtime))
    return _unique_keys(submissions)


def _same(a, b):
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def collect(path, wanted, exclude=()):
    """The submissions in ``path`` (a folder or a zip), sorted by key. ``wanted`` is the assignment's
    file names; ``exclude`` are paths to skip (the output folder, when it lies inside ``path``).

    Use as a context manager: a zip is unpacked into a temporary folder that lives until then."""
    path = Path(path)
    wanted = list(wanted)
    if not path.exists():
        raise CollectError(f"{path} does not exist")
    collection = Collection([], "folder")
    try:
        folder, mtime_override = path, None
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise CollectError(f"{path} is neither a folder of submissions nor a zip of them")
            collection._temp = tempfile.TemporaryDirectory(prefix="nnhw-batch-")
            folder = Path(collection._temp.name) / "unpacked"
            folder.mkdir()
            extract_archive(path, folder)
            mtime_override = path.stat().st_mtime  # what was handed in is the archive itself
        elif not path.is_dir():
            raise CollectError(f"{path} is neither a folder nor a zip")
        root = _export_root(folder, exclude)
        if root is not None:
            collection.layout = "gradescope"
            collection.submissions = _gradescope_layout(root, exclude, collection, mtime_override)
        else:
            if mtime_override is not None:
                # a zip of the folder of submissions: look inside its one top folder
                entries = [p for p in folder.iterdir() if not _ignored(p)]
                if len(entries) == 1 and entries[0].is_dir():
                    folder = entries[0]
            collection.submissions = _folder_layout(folder, wanted, exclude, collection, mtime_override)
        if not collection.submissions:
            extra = f" (ignored: {', '.join(collection.ignored[:5])})" if collection.ignored else ""
            raise CollectError(f"{path} holds no submissions: expected one folder, zip or .py file per student, "
                               f"or Gradescope's export with {METADATA}{extra}")
        return collection
    except BaseException:
        collection.cleanup()
        raise
