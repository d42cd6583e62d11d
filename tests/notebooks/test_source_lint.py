"""Static checks of the lesson notebooks: nbgrader metadata, markers, the registry, and leaks into release/ and
solutions/. Each failure lists every offending cell and says what to do."""
import re

import pytest
from nbgrader.nbgraderformat import MetadataValidator, ValidationError

from autograder import notebook, registry

from .common import REBUILD, ROOT, fail_if, notebooks, rel, where

SOURCES = notebooks("source")
GENERATED = notebooks("release") + notebooks("solutions")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
SOLUTION_MARK = re.compile(r"^\s*###\s*(BEGIN|END)\s+SOLUTION\b")
HIDDEN_MARK = re.compile(r"^\s*###\s*(BEGIN|END)\s+HIDDEN\s+TESTS\b")
AUTOGRADER_IMPORT = re.compile(r"^\s*(from\s+autograder[\s.]|import\s+autograder\b)", re.M)
EDIT = "edit the cell in JupyterLab (View > Cell Toolbar > Create Assignment), then run `autograder build`."


def cells(paths, code_only=True):
    for path in paths:
        for index, cell in enumerate(notebook.read(path).cells):
            if not code_only or cell.cell_type == "code":
                yield path, index, cell


def test_there_are_source_notebooks():
    assert SOURCES, f"no notebooks under {rel(ROOT / 'source')}"


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_nbgrader_accepts_the_metadata(path):
    """nbgrader's own validator (schema 3, grade_id on every graded/solution/locked cell, points, ...)."""
    try:
        MetadataValidator().validate_nb(notebook.read(path))
        rejected = None
    except ValidationError as e:
        rejected = e.message
    if rejected:
        pytest.fail(f"nbgrader rejects {rel(path)}: {rejected}\nWhat to do: {EDIT}", pytrace=False)


def test_every_code_cell_has_valid_nbgrader_metadata():
    problems = []
    for path, i, cell in cells(SOURCES):
        m = notebook.meta(cell)
        if not m:
            problems.append(f"{where(path, i, cell)} has no nbgrader metadata (a given cell is 'Read-only')")
            continue
        if m.get("schema_version") != 3:
            problems.append(f"{where(path, i, cell)} has nbgrader schema_version {m.get('schema_version')!r}, not 3")
        gid = m.get("grade_id")
        if not isinstance(gid, str) or not GRADE_ID.match(gid):
            problems.append(f"{where(path, i, cell)} has grade_id {gid!r}: use only letters, digits, _ and -")
        for flag in ("grade", "solution", "locked"):
            if not isinstance(m.get(flag), bool):
                problems.append(f"{where(path, i, cell)} has nbgrader {flag}={m.get(flag)!r}, not true/false")
        if m.get("grade"):
            points = m.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
                problems.append(f"{where(path, i, cell)} is graded but has points={points!r}")
        elif not m.get("solution") and not m.get("locked"):
            problems.append(f"{where(path, i, cell)} is neither locked, solution nor graded: lock given cells")
    fail_if(problems, "every code cell in source/ carries nbgrader metadata (schema 3, a "
                      "grade_id of letters/digits/_/-, points on graded cells): " + EDIT)


def test_grade_ids_are_unique_within_and_across_notebooks():
    seen, problems = {}, []
    for path, i, cell in cells(SOURCES, code_only=False):
        gid = notebook.grade_id(cell)
        if gid is None:
            continue
        if gid in seen:
            problems.append(f"grade_id {gid!r} is used by {seen[gid]} and by {where(path, i, cell)}")
        else:
            seen[gid] = where(path, i, cell)
    fail_if(problems, "give each cell its own grade_id (the gradebook keys grades by it; "
                      "chNN-<name> keeps them unique across chapters): " + EDIT)


def _balanced(lines, pattern):
    """None when BEGIN/END markers alternate and close, else what is wrong."""
    open_at = None
    for n, line in enumerate(lines, 1):
        m = pattern.match(line)
        if not m:
            continue
        if m.group(1) == "BEGIN":
            if open_at is not None:
                return f"a second BEGIN on line {n} before the END of the one on line {open_at}"
            open_at = n
        else:
            if open_at is None:
                return f"an END on line {n} without a BEGIN"
            open_at = None
    return None if open_at is None else f"the BEGIN on line {open_at} is never closed"


def test_solution_and_hidden_test_markers_are_balanced_and_in_the_right_cells():
    problems = []
    for path, i, cell in cells(SOURCES, code_only=False):
        lines = notebook.source_text(cell).splitlines()
        has_solution = any(SOLUTION_MARK.match(l) for l in lines)
        has_hidden = any(HIDDEN_MARK.match(l) for l in lines)
        if has_solution and not notebook.is_solution(cell):
            problems.append(f"{where(path, i, cell)} has ### BEGIN/END SOLUTION but is not a solution cell: "
                            "nbgrader would release the solution to students")
        if has_hidden and not notebook.meta(cell).get("grade"):
            problems.append(f"{where(path, i, cell)} has ### BEGIN/END HIDDEN TESTS but is not a graded cell: "
                            "nbgrader would release the hidden tests to students")
        for what, pattern in (("SOLUTION", SOLUTION_MARK), ("HIDDEN TESTS", HIDDEN_MARK)):
            wrong = _balanced(lines, pattern)
            if wrong:
                problems.append(f"{where(path, i, cell)}: ### {what} markers are unbalanced: {wrong}")
    fail_if(problems, "pair each `### BEGIN SOLUTION` with `### END SOLUTION` inside solution "
                      "cells, each `### BEGIN HIDDEN TESTS` with `### END HIDDEN TESTS` inside "
                      "graded test cells; then run `autograder build`.")


def test_source_notebooks_carry_no_outputs():
    problems = [f"{where(path, i, cell)} has "
                + ("outputs" if cell.get("outputs") else f"execution_count {cell.get('execution_count')}")
                for path, i, cell in cells(SOURCES) if cell.get("outputs") or cell.get("execution_count") is not None]
    fail_if(problems, "source/ is stored without outputs (the executed copy is solutions/; outputs "
                      "here go stale and show the reference's results in every diff): in JupyterLab "
                      "Edit > Clear Outputs of All Cells and save, or `jupyter nbconvert "
                      "--clear-output --inplace source/chNN/<lesson>.ipynb`; then `autograder build`.")


def test_every_source_notebook_is_in_the_registry():
    known = {(c, n) for c, n in registry.notebooks()}
    problems = [f"{rel(p)} is not the notebook of any exercise in autograder/registry.py"
                for p in SOURCES if (p.parent.name, p.name) not in known]
    problems += [f"source/{c}/{n} is named by autograder/registry.py but does not exist"
                 for c, n in known if not (ROOT / "source" / c / n).exists()]
    fail_if(problems, "register the notebook's exercises in autograder/registry.py (or remove "
                      "the stray notebook, or fix the registry's chapter/notebook).")


def _by_grade_id():
    found = {}
    for path, i, cell in cells(SOURCES, code_only=False):
        gid = notebook.grade_id(cell)
        if gid:
            found.setdefault(gid, []).append((path, i, cell))
    return found


@pytest.mark.parametrize("exercise", registry.EXERCISES, ids=lambda e: e.id)
def test_registry_exercise_has_its_cells(exercise):
    found, problems = _by_grade_id(), []
    home = ROOT / "source" / exercise.chapter / exercise.notebook
    sol = found.get(exercise.id, [])
    if len(sol) != 1:
        problems.append(f"{exercise.id}: {len(sol)} cells have grade_id {exercise.id!r}, need exactly one "
                        f"(the solution cell in {rel(home)})")
    for path, i, cell in sol:
        if path != home:
            problems.append(f"{where(path, i, cell)} is the solution of {exercise.id}, which the registry puts "
                            f"in {rel(home)}")
        if cell.cell_type != "code" or not notebook.is_solution(cell) or notebook.meta(cell).get("grade"):
            problems.append(f"{where(path, i, cell)} must be an (ungraded) code solution cell")
    tests = found.get(exercise.tests_grade_id, [])
    if len(tests) != 1:
        problems.append(f"{exercise.id}: {len(tests)} cells have grade_id {exercise.tests_grade_id!r}, need exactly "
                        f"one (the graded test cell in {rel(home)})")
    for path, i, cell in tests:
        m = notebook.meta(cell)
        if path != home:
            problems.append(f"{where(path, i, cell)} belongs in {rel(home)}")
        if not (m.get("grade") and m.get("locked") and not m.get("solution")):
            problems.append(f"{where(path, i, cell)} must be graded, locked and not a solution")
        if m.get("points") != exercise.points:
            problems.append(f"{where(path, i, cell)} has points={m.get('points')!r}, the registry says "
                            f"{exercise.points:g}")
        hidden = "".join(re.findall(r"###\s*BEGIN HIDDEN TESTS(.*?)###\s*END HIDDEN TESTS",
                                    notebook.source_text(cell), re.S))
        if f'notebook_score("{exercise.id}"' not in hidden and f"notebook_score('{exercise.id}'" not in hidden:
            problems.append(f"{where(path, i, cell)}'s hidden region does not call "
                            f'notebook_score("{exercise.id}", {exercise.symbol})')
    checks = found.get(exercise.check_grade_id, [])
    if not checks:
        problems.append(f"{exercise.id}: no visible check cell {exercise.check_grade_id!r} in {rel(home)}")
    for path, i, cell in checks:
        if notebook.meta(cell).get("grade") or not notebook.meta(cell).get("locked"):
            problems.append(f"{where(path, i, cell)} must be locked and not graded")
    fail_if(problems, "the lesson needs, with these grade_ids: a solution cell <id>, a locked "
                      "check cell <id>-check and a graded, locked test cell <id>-tests whose "
                      "points equal the registry's (README: Adding an exercise); fix the "
                      "notebook or autograder/registry.py, then run `autograder build`.")


def test_every_graded_or_solution_cell_is_a_registry_exercise_or_question():
    tests = {e.tests_grade_id for e in registry.EXERCISES}
    ids = {e.id for e in registry.EXERCISES}
    questions = {q.id: q for q in registry.QUESTIONS}
    problems = []
    for path, i, cell in cells(SOURCES, code_only=False):
        m, gid = notebook.meta(cell), notebook.grade_id(cell)
        if gid in questions:
            q = questions[gid]
            if cell.cell_type != "markdown" or not (m.get("grade") and m.get("solution")):
                problems.append(f"{where(path, i, cell)} is written question {gid}: make it a markdown cell "
                                "that is graded and a solution (nbgrader's 'Manually graded answer')")
            if m.get("points") != q.points:
                problems.append(f"{where(path, i, cell)} has points={m.get('points')!r}, the registry says "
                                f"{q.points:g}")
            if (path.parent.name, path.name) != (q.chapter, q.notebook):
                problems.append(f"{where(path, i, cell)} belongs in source/{q.chapter}/{q.notebook}")
            if not any(SOLUTION_MARK.match(line) for line in notebook.source_text(cell).splitlines()):
                problems.append(f"{where(path, i, cell)} has no ### BEGIN/END SOLUTION region: the model answer "
                                "and rubric go there (students see the question above it)")
        elif m.get("grade") and gid not in tests:
            problems.append(f"{where(path, i, cell)} is graded but is no exercise's <id>-tests cell and no "
                            "written question of the registry")
        elif m.get("solution") and not m.get("grade") and gid not in ids:
            problems.append(f"{where(path, i, cell)} is a solution cell but no exercise has that id: students "
                            "would get a stub that nothing grades")
    found = {notebook.grade_id(c) for _, _, c in cells(SOURCES, code_only=False)}
    problems += [f"written question {q} of the registry has no cell in source/" for q in questions if q not in found]
    fail_if(problems, "add the exercise or question to autograder/registry.py (id = the cell's "
                      "grade_id: chNN-<symbol>, or chNN-q-<slug> for a written answer), or make the "
                      "cell an ordinary locked cell; then run `autograder build`.")


@pytest.mark.parametrize("path", GENERATED, ids=rel)
def test_generated_notebooks_hold_no_hidden_tests_or_kit_imports(path):
    problems = []
    for index, cell in enumerate(notebook.read(path).cells):
        texts = [notebook.source_text(cell)]
        for out in cell.get("outputs", []):
            texts += [str(out.get("text", "")), str(out.get("data", {})), str(out.get("evalue", ""))]
        text = "\n".join(texts)
        for needle in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "notebook_score", "BEGIN SOLUTION",
                       "END SOLUTION"):
            if needle in text:
                problems.append(f"{where(path, index, cell)} contains {needle!r}")
        if AUTOGRADER_IMPORT.search(notebook.source_text(cell)):
            problems.append(f"{where(path, index, cell)} imports autograder (students do not have the kit)")
    fail_if(problems, "hidden tests, markers and the kit's imports belong only inside a "
                      "`### BEGIN HIDDEN TESTS` region of a graded test cell in source/. Fix "
                      "source/ if that is where it comes from; " + REBUILD)
