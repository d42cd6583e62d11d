"""Every hostile or broken submission gets the expected score and a clear reason, alone and in a batch
with honest classmates whose grades must not move; the gradebook stays intact."""
import csv
import json
import re
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import batch, notebook, registry
from autograder.build import generate_assignments, nbgrader_env
from autograder.grade import grade_notebook

from ..conftest import TEST_LIMITS, reference_code, release_path
from .cases import CASES, expected_score


def check(report, expect, words):
    scores = {e.id: e.score for e in report.exercises} if hasattr(report, "exercises") else {
        e["id"]: e["score"] for e in report["exercises"]}
    for ex, value in expect.items():
        assert scores.get(ex) == expected_score(ex, value), (ex, scores)
    text = json.dumps(report.to_json() if hasattr(report, "to_json") else report).lower()
    for w in words:
        assert w.lower() in text, f"report should say {w!r}:\n{text[:3000]}"
    if not expect:   # unreadable: a clear error and nothing graded
        assert (report.error if hasattr(report, "error") else report.get("error"))


@pytest.mark.parametrize("name", list(CASES))
def test_grade_gives_the_expected_score_and_reason(name, tmp_path, references):
    build, expect, words = CASES[name]
    path = tmp_path / ("attention.ipynb" if "MultiHeadAttention" in name else "softmax_regression.ipynb")
    build(path)
    start = time.perf_counter()
    report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
    print(f"{name}: {report.score:g} in {time.perf_counter() - start:.1f} s")
    check(report, expect, words)


def test_background_processes_do_not_outlive_the_worker(tmp_path, references):
    """With the source screen off, a worker that starts a daemon leaves nothing behind."""
    code = ("import subprocess\nsubprocess.Popen(['sleep', '313'], start_new_session=True)\n"
            + reference_code("ch04-softmax"))
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(notebook.with_solutions(notebook.read(release_path("ch04-softmax")), {"ch04-softmax": code}),
                   path)
    grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references, screen=False)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "sleep 313"], capture_output=True, text=True).stdout.split()
    assert not left, f"processes left behind: {left}"


@pytest.mark.slow
def test_hostile_class_in_one_batch(tmp_path):
    """All cases of ch04 in one class with two honest classmates; their grades and the gradebook hold."""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(registry.kit_root() / "nbgrader_config.py", course)
    shutil.copytree(registry.kit_root() / "source" / "ch04", course / "source" / "ch04")
    generate_assignments(course, ["ch04"])
    students = {}
    for name, (build, expect, words) in CASES.items():
        if any(not ex.startswith("ch04-") for ex in expect) or name == "100 MB notebook":
            continue   # a ch04 class: other lessons' cases are graded alone above
        sid = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        target = course / "submitted" / sid / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        build(target)
        students[sid] = (expect, words)
    release = notebook.read(course / "release" / "ch04" / "softmax_regression.ipynb")
    for honest in ("honest-first", "honest-last"):
        target = course / "submitted" / honest / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook.with_solutions(release, {"ch04-softmax": reference_code("ch04-softmax")}), target)
    assert batch.run_batch(course, "ch04", workers=2, progress=False, limits=TEST_LIMITS) == 0
    for sid, (expect, words) in students.items():
        report = json.loads((course / "autograded" / sid / "ch04" / "softmax_regression.json").read_text())
        check(report, expect, words)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "grades.csv"], cwd=course,
                          env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(course / "grades.csv") as f:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert exported["honest-first"] == exported["honest-last"] == 10
    for sid, (expect, _) in students.items():
        assert exported[sid] == sum(expected_score(e, v) for e, v in expect.items())
