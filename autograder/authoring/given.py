"""Files a starter is given from another assignment's solution: shipped, or held back, as the instructor decides.

``given = [{ source = "a1_forward/forward.py", name = "forward.py" }]`` in an assignment's config hands students
that reference file ready-made, which gives away the earlier assignment's answers (while its deadline is open,
say). ``ship = false`` in the entry holds it back: the starter then holds a small loader under the same name that
runs the student's own file from their folder of that earlier assignment (``../a1_forward/forward.py``), so the
later assignment's code imports it unchanged. The grader uses the reference's copy either way; ``nnhw build``
names every shipped and held-back file (:func:`notes`).
"""

from autograder.regions import strip_markers

LOADER = '''"""{name}: your own, from assignment {earlier} (the reference's copy is not handed out).

This file runs {path} from your folder of {earlier}, beside this one: put that folder there, or copy your
{name} over this file. The autograder grades this assignment with the reference's {name}, whatever yours does.
"""

from pathlib import Path

_YOURS = Path(__file__).resolve().parent.parent / {source!r}
if not _YOURS.is_file():
    raise ImportError(f"{name}: your {name} from {earlier} is not at {{_YOURS}}; put your {earlier} folder beside "
                      "this one, or copy your {name} over this file")
exec(compile(_YOURS.read_text(encoding="utf-8"), str(_YOURS), "exec"))
'''


def _earlier(given):
    """The assignment a given file comes from (the first folder of its source)."""
    return given.source.split("/", 1)[0]


def starter_files(assignment):
    """``{file name: bytes}`` of the given files in the starter: the reference's, stripped of its solution markers,
    or, where held back, the loader of the student's own."""
    files = {}
    for given in assignment.config.given:
        if given.ship:
            path = assignment.course.root / "solutions" / given.source
            files[given.name] = strip_markers(path.read_text(encoding="utf-8"), str(path)).encode()
        else:
            files[given.name] = LOADER.format(name=given.name, earlier=_earlier(given), source=given.source,
                                              path="/".join(given.source.split("/")[1:])).encode()
    return files


def header_note(assignment):
    """What the handout's "to hand in" line adds about the given files (empty where there are none)."""
    parts = [f"`{g.name}` is given, {_earlier(g)}'s reference solution: the autograder uses its own copy" if g.ship
             else f"`{g.name}` is your own from {_earlier(g)}, loaded from your {_earlier(g)} folder beside this one: "
                  "the autograder uses the reference's" for g in assignment.config.given]
    return f" ({'; '.join(parts)})" if parts else ""


def notes(assignment):
    """One line per given file for the instructor: which other assignment's solution the starter ships, or holds
    back, and how to change that."""
    lines = []
    for given in assignment.config.given:
        if given.ship:
            lines.append(f"{assignment.id}: the starter ships {_earlier(given)}'s reference solution {given.source} as "
                         f"{given.name}; set ship = false in its [assignment] given entry to hold it back (the "
                         "starter then loads the student's own)")
        else:
            lines.append(f"{assignment.id}: {_earlier(given)}'s reference {given.source} is held back; the starter's "
                         f"{given.name} loads the student's own from ../{given.source}")
    return lines
