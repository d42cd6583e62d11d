"""Stock nbgrader from generate_assignment to the gradebook, and `autograder grade` on the same files."""
import html
import re
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


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A throw-away course: stock generate_assignment of ch04, three submissions, stock autograde."""
    course = tmp_path_factory.mktemp("e2e") / "course"
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
    return course


@pytest.mark.slow
def test_stock_autograde_and_kit_agree(course, references):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="d2l") as gb:
        stock = {s: gb.find_submission("ch04", s).score for s in STUDENTS}
    assert stock == EXPECTED

    kit = {s: grade_notebook(course / "submitted" / s / "ch04" / "softmax_regression.ipynb", device="cpu",
                             limits=TEST_LIMITS, references=references).score for s in STUDENTS}
    assert kit == EXPECTED


@pytest.mark.slow
def test_feedback_shows_scores_and_messages_but_no_hidden_tests(course):
    proc = nbgrader("generate_feedback", "ch04", "--force", cwd=course)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pages = {s: course / "feedback" / s / "ch04" / "softmax_regression.html" for s in STUDENTS}
    missing = [str(p.relative_to(course)) for p in pages.values() if not p.exists()]
    assert not missing, f"nbgrader generate_feedback wrote no {missing}:\n{proc.stderr[-3000:]}"
    rendered = {s: p.read_text(encoding="utf-8") for s, p in pages.items()}
    for student, page in rendered.items():
        for secret in ("notebook_score", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "from autograder"):
            assert secret not in page, (
                f"{student}'s feedback shows {secret!r}: hidden test code leaked. nbgrader_config.py must keep "
                "ClearHiddenTests in GenerateFeedback.preprocessors")
    text = {s: re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))) for s, page in rendered.items()}
    for student, score in EXPECTED.items():
        assert re.search(rf"Score:\s*{score}(\.0)?\s*/\s*10", text[student]), (
            f"{student}'s feedback should show the score {score} / 10")
    assert "Subtract each row's maximum first" in text["carol"], (
        "carol's feedback should carry the grader's message about subtracting the maximum (the test cell's "
        "output); it shows:\n" + text["carol"][-2000:])
