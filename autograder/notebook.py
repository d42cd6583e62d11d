"""Reading lesson notebooks and turning them into the code a worker runs for one exercise."""
from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path

import nbformat

from . import registry
from .registry import Exercise

SOLUTION_MARKER = re.compile(r"^\s*###\s*(BEGIN|END)\s+SOLUTION\s*$")
HIDDEN_REGION = re.compile(r"^\s*###\s*BEGIN HIDDEN TESTS.*?^\s*###\s*END HIDDEN TESTS\s*$\n?", re.M | re.S)


class BadNotebook(Exception):
    """The file is not a notebook the kit can read; the message says why."""


def read(path) -> nbformat.NotebookNode:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadNotebook(f"cannot read {path.name}: {e.strerror}") from None
    if not raw.strip():
        raise BadNotebook(f"{path.name} is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadNotebook(f"{path.name} is not UTF-8 text (byte {e.start}); save it again from JupyterLab") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadNotebook(f"{path.name} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); "
                          "the file was damaged, download your last checkpoint or the release copy") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise BadNotebook(f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    try:
        return nbformat.from_dict(data)
    except Exception as e:  # noqa: BLE001
        raise BadNotebook(f"{path.name} is not a valid notebook: {e}") from None


def meta(cell) -> dict:
    m = cell.get("metadata", {}).get("nbgrader", {})
    return m if isinstance(m, dict) else {}


def grade_id(cell) -> str | None:
    gid = meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograder test cell: graded, not a solution (nbgrader treats it as locked)."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution")


def source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def strip_solution_markers(src: str) -> str:
    return "\n".join(line for line in src.splitlines() if not SOLUTION_MARKER.match(line))


def strip_hidden_tests(src: str) -> str:
    return HIDDEN_REGION.sub("", src)


@functools.lru_cache(maxsize=None)
def _source_cached(path: str, mtime: float) -> nbformat.NotebookNode:
    return read(path)


def source_notebook(exercise: Exercise) -> nbformat.NotebookNode:
    path = registry.source_path(exercise)
    return _source_cached(str(path), path.stat().st_mtime)


def solution_code(exercise: Exercise, kind: str = "source", root: Path | None = None) -> str:
    """The exercise's solution cell, markers stripped: the reference (kind "source") or the student's stub
    (kind "release")."""
    nb = read((root or registry.kit_root()) / kind / exercise.chapter / exercise.notebook)
    for cell in nb.cells:
        if grade_id(cell) == exercise.id:
            return strip_solution_markers(source_text(cell))
    raise LookupError(f"no cell {exercise.id} in {kind}/{exercise.chapter}/{exercise.notebook}")


def program(exercise: Exercise, submission, source=None) -> tuple[list[dict], bool]:
    """The cells a worker runs to grade `exercise` in `submission`, and whether its solution cell exists.

    Follows the source notebook's cells: locked cells come from the source (as nbgrader restores them),
    test cells and visible checks are left out, the exercise's solution cell comes from the submission, and
    other exercises' solution cells are the reference (so a bug in one exercise never costs points in
    another). Cells the student added run where they stand: after the lesson cell above them, whatever its
    kind (a check or test cell, which itself does not run, included), and they are screened as theirs.
    """
    source = source if source is not None else source_notebook(exercise)
    src_ids = {grade_id(c) for c in source.cells if grade_id(c)}
    # the lesson's own cells, as source/ or release/ has them: a copy that lost its metadata is not the
    # student's code (and the lesson's version runs anyway)
    lesson_texts = {t.strip() for c in source.cells if c.get("cell_type") == "code"
                    for t in (source_text(c), strip_hidden_tests(source_text(c)))}
    own = {}
    extras: dict[str | None, list] = {}
    anchor = None
    for i, cell in enumerate(submission.cells):
        if cell.get("cell_type") != "code":
            continue
        gid = grade_id(cell)
        if gid in src_ids:
            own.setdefault(gid, cell)
            anchor = gid
        elif not is_test(cell) and not gid and source_text(cell).strip() not in lesson_texts:
            extras.setdefault(anchor, []).append({"name": f"your cell {i + 1}", "source": source_text(cell)})
    cells = list(extras.get(None, []))
    found = False
    for cell in source.cells:
        gid = grade_id(cell)
        graded_here = cell.get("cell_type") == "code" and not is_test(cell) and not (gid or "").endswith("-check")
        if graded_here and gid == exercise.id:
            if gid in own:
                found = True
                cells.append({"name": f"solution {gid}", "source": strip_solution_markers(source_text(own[gid]))})
        elif graded_here and is_solution(cell):
            cells.append({"name": f"reference {gid}", "source": strip_solution_markers(source_text(cell))})
        elif graded_here:
            cells.append({"name": f"given {gid or 'cell'}", "source": source_text(cell)})
        if gid:   # the student's cells below this one (a check or test cell too, which itself does not run)
            cells.extend(extras.get(gid, []))
    return cells, found


def with_solutions(nb, codes: dict) -> nbformat.NotebookNode:
    """A copy of `nb` whose solution cells (by grade_id) hold the given code: how a student fills a notebook."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) in codes:
            cell.source = codes[grade_id(cell)]
    return nb


def student_source(cells, solution_only: bool = False) -> str:
    """The code the student wrote, out of a program: the solution cell and any cells they added (or the
    solution cell alone)."""
    kinds = ("solution ",) if solution_only else ("solution ", "your cell ")
    return "\n\n".join(c["source"] for c in cells if c["name"].startswith(kinds))


def lesson_of(nb, filename: str = "") -> tuple[str, str] | None:
    """(chapter, notebook) of a submission: by the grade_ids it carries, else by its file name."""
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}
    for e in registry.EXERCISES:
        if e.id in ids or e.tests_grade_id in ids:
            return e.chapter, e.notebook
    for e in registry.EXERCISES:
        if e.notebook == filename:
            return e.chapter, e.notebook
    return None
