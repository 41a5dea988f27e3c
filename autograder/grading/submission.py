"""Find the student's files in whatever they uploaded: loose files, a folder, a zip, a folder in a zip.

Only the files the config names are taken, each a plain file read by the grader and copied
into the worker's private folder; nothing in the upload is executed or trusted here.
"""

import difflib
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_DEPTH = 4
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "env", "node_modules", ".ipynb_checkpoints"}


class SubmissionError(ValueError):
    """The upload itself cannot be read (not the same as a missing file, which costs only its tests)."""


class NotebookInstead(SubmissionError):
    """A notebook was uploaded where the configured ``.py`` files were expected: nothing is graded, and the
    student is told which files to upload (the notebook imports them; it does not hold their code)."""


@dataclass
class Located:
    files: dict                                  # file name -> Path, or None when missing
    notes: list = field(default_factory=list)    # what a student should know about their upload
    _temp: object = None

    def cleanup(self):
        if self._temp is not None:
            self._temp.cleanup()


def safe_zip_parts(entry):
    """The path parts where a zip entry may be unpacked, or None for anything but a plain file
    inside the target: folders, symlinks, absolute paths, ``..``. Backslashes (zips made on
    Windows) count as separators."""
    name = entry.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    is_link = stat.S_ISLNK(entry.external_attr >> 16)
    if entry.is_dir() or name.endswith("/") or is_link or not parts or ".." in parts \
            or PurePosixPath(name).is_absolute():
        return None
    return parts


def _extract(archive, target):
    """Unpack the plain files of ``archive`` into ``target``; returns the names that could not be unpacked."""
    skipped = []
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = zf.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise SubmissionError(f"{archive.name} holds {len(entries)} files; upload only your code")
            if sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
                raise SubmissionError(f"{archive.name} unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MB")
            for entry in entries:
                parts = safe_zip_parts(entry)
                if parts is None:
                    continue
                dest = target.joinpath(*parts)
                try:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(entry) as src, open(dest, "wb") as out:
                        out.write(src.read(MAX_UNZIPPED_BYTES))
                except Exception:  # noqa: BLE001 - encrypted, corrupt, clashing names: that entry only
                    skipped.append("/".join(parts))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SubmissionError(f"{archive.name} is not a valid zip file") from None
    return skipped


def _candidates(folder):
    """(depth, path) of every regular .py file up to MAX_DEPTH folders down, symlinks ignored."""
    found, stack = [], [(folder, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink() or entry.name.startswith("."):
                continue
            if entry.is_dir() and depth < MAX_DEPTH and entry.name not in IGNORED_FOLDERS:
                stack.append((entry, depth + 1))
            elif entry.is_file():
                found.append((depth, entry))
    return found


def locate(upload, wanted):
    """Map each wanted file name to the best match in ``upload`` (a folder, a zip or one file)."""
    upload = Path(upload)
    if not upload.exists():
        raise SubmissionError(f"{upload} does not exist")
    temp = None
    if upload.is_file() and upload.suffix == ".zip":
        temp = tempfile.TemporaryDirectory(prefix="nnhw-upload-")
        try:
            skipped = _extract(upload, Path(temp.name))
        except SubmissionError:
            temp.cleanup()
            raise
        folder = Path(temp.name)
    elif upload.is_file():
        folder = None
        candidates = [(0, upload)]
    else:
        folder = upload
    if folder is not None:
        candidates = _candidates(folder)
        zips = [p for _, p in candidates if p.suffix == ".zip"]
        if not any(p.name in wanted for _, p in candidates) and len(zips) == 1 and temp is None:
            return locate(zips[0], wanted)
    notebooks = sorted(p.name for _, p in candidates if p.suffix == ".ipynb")
    if notebooks and not any(p.suffix == ".py" for _, p in candidates):  # the notebook instead of the code
        if temp is not None:
            temp.cleanup()
        raise NotebookInstead(notebook_message(notebooks, wanted))
    located = Located({}, [], temp)
    if temp is not None and skipped:
        located.notes.append(f"{upload.name}: could not unpack {', '.join(skipped[:5])} (encrypted or damaged?)")
    for name in wanted:
        matches = sorted((d, str(p)) for d, p in candidates if p.name == name)
        if not matches:
            located.files[name] = None
            others = sorted({p.name for _, p in candidates if p.suffix == ".py" and p.name not in wanted})
            hint = f"; your upload has {', '.join(others[:8])}" if others else ""
            close = [o for o in others if o.lower() == name.lower()] or \
                difflib.get_close_matches(name, others, n=1, cutoff=0.6)
            if close:
                hint += f" (rename {close[0]} to {name} and submit again)"
            elif notebooks:
                hint += f" (a notebook is never graded: upload {name} itself)"
            located.notes.append(f"{name} was not found in your submission{hint}. The tests of the functions in "
                                 f"{name} score zero.")
            continue
        depth, chosen = matches[0]
        located.files[name] = Path(chosen)
        relative = Path(chosen).relative_to(folder) if folder is not None else Path(name)
        if depth:
            located.notes.append(f"{name} was found at {relative} (inside a folder); that is fine.")
        if len(matches) > 1:
            located.notes.append(f"your submission has {len(matches)} files named {name}; graded {relative}.")
    return located


def notebook_message(notebooks, wanted):
    """What a student who uploaded their notebook reads: which files to upload instead, and why."""
    files = " and ".join(wanted)
    return (f"{' and '.join(notebooks)} {'is a Jupyter notebook' if len(notebooks) == 1 else 'are Jupyter notebooks'}"
            f", and the autograder grades {files} only. The notebook imports your code from {files}; it does not "
            f"hold it. Upload {files} (the file{'s' if len(wanted) > 1 else ''} you edit) and submit again. "
            "Nothing was graded: score 0.")
