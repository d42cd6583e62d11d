"""What a student sees on opening a release notebook and running it top to bottom, untouched.

It may only stop at the stubs: `raise NotImplementedError()` in an exercise, and the checks and demos that
call it. An error before the first solution cell (a broken import, a typo in a given cell) or of any other
kind (a NameError because a demo uses something a check cell defined, a shape error in given code) is the
lesson's bug, which every student would hit before writing a line.
"""
import os
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import build, notebook, registry

from .common import REBUILD, ROOT, fail_if, where

RELEASES = [ROOT / "release" / chapter / name for chapter, name in registry.notebooks()]


def run_untouched(path):
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)  # a student's kernel runs the demos
    try:
        with tempfile.TemporaryDirectory(prefix="kit-student-") as tmp:
            NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                           kernel_manager_class=build.current_env_kernel_manager(),
                           resources={"metadata": {"path": tmp}}).execute()
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before
    return nb


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", RELEASES, ids=lambda p: p.relative_to(ROOT / "release").as_posix())
def test_release_notebook_fails_only_at_its_stubs(path):
    assert path.exists(), f"{path.relative_to(ROOT)} is missing. {REBUILD}"
    nb = run_untouched(path)
    first_solution = next((i for i, c in enumerate(nb.cells) if notebook.is_solution(c)), None)
    assert first_solution is not None, f"{path.relative_to(ROOT)} has no solution cell. {REBUILD}"
    problems = []
    for i, cell in enumerate(nb.cells):
        for err in errors(cell):
            said = f"{err.get('ename')}: {err.get('evalue')}"
            if i < first_solution:
                problems.append(f"{where(path, i, cell)} fails before the first exercise: {said}")
            elif err.get("ename") != "NotImplementedError":
                problems.append(f"{where(path, i, cell)} fails for another reason than a stub: {said}")
    checks = {e.check_grade_id for e in registry.of_notebook(path.parent.name, path.name)}
    for i, cell in enumerate(nb.cells):
        if notebook.grade_id(cell) in checks and not any(e.get("ename") == "NotImplementedError"
                                                         for e in errors(cell)):
            problems.append(f"{where(path, i, cell)} runs through with the untouched stub: the check never "
                            "calls the student's code, or the stub is not `raise NotImplementedError()`")
    fail_if(problems, "run the release notebook top to bottom in JupyterLab: only the "
                      "stubs' NotImplementedError (in the exercise, its check and the demos "
                      "that call it) may stop it. Make given cells self-contained (a demo must "
                      "not use what a check cell defines), fix source/ and run `autograder build`.")
