"""Stock nbgrader from generate_assignment to the gradebook, and `autograder grade` on the same files."""
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import notebook, registry
from autograder.build import nbgrader_env
from autograder.grade import grade_notebook

from .conftest import TEST_LIMITS, reference_code
from .graders.test_ch04_softmax import BOOK_4_1

STUDENTS = {"alice": "reference", "bob": None, "carol": BOOK_4_1}
EXPECTED = {"alice": 10, "bob": 0, "carol": 8}


def nbgrader(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=nbgrader_env(),
                          capture_output=True, text=True, timeout=900)
    return proc


@pytest.mark.slow
def test_stock_autograde_and_kit_agree(tmp_path, references):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(registry.kit_root() / "nbgrader_config.py", course)
    shutil.copytree(registry.kit_root() / "source" / "ch04", course / "source" / "ch04")
    proc = nbgrader("generate_assignment", "ch04", "--force", cwd=course)
    assert proc.returncode == 0, proc.stderr

    release = notebook.read(course / "release" / "ch04" / "softmax_regression.ipynb")
    for student, code in STUDENTS.items():
        if code == "reference":
            code = reference_code("ch04-softmax")
        nb = notebook.with_solutions(release, {"ch04-softmax": code}) if code else release
        target = course / "submitted" / student / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)

    proc = nbgrader("autograde", "ch04", "--force", cwd=course)
    assert proc.returncode == 0, proc.stderr[-3000:]

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="d2l") as gb:
        stock = {s: gb.find_submission("ch04", s).score for s in STUDENTS}
    assert stock == EXPECTED

    kit = {s: grade_notebook(course / "submitted" / s / "ch04" / "softmax_regression.ipynb", device="cpu",
                             limits=TEST_LIMITS, references=references).score for s in STUDENTS}
    assert kit == EXPECTED
