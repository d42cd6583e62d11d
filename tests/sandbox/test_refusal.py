"""A sandbox that cannot be built is the kit's failure: `grade` and `batch` refuse, with the cause, before
running or recording anything; `--weak-sandbox` grades anyway and every report says so.

`AUTOGRADER_TEST_DENY_NAMESPACES=1` makes the worker behave as on a machine that refuses new namespaces
(no user namespaces, an old kernel), which is what the kit checks before grading.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import notebook, registry
from autograder.build import generate_assignments

from ..conftest import reference_code, release_path

DENY = {**os.environ, "AUTOGRADER_TEST_DENY_NAMESPACES": "1"}


def cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          env=env or os.environ, cwd=cwd, timeout=900)


def test_grade_refuses_and_weak_sandbox_is_recorded(tmp_path):
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(notebook.with_solutions(notebook.read(release_path("ch04-softmax")),
                                           {"ch04-softmax": reference_code("ch04-softmax")}), path)
    out = tmp_path / "report.json"
    proc = cli("grade", path, "--json", out, "--device", "cpu", env=DENY)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "not grading" in proc.stderr and "namespaces" in proc.stderr and "--weak-sandbox" in proc.stderr
    assert not out.exists()
    proc = cli("grade", path, "--json", out, "--device", "cpu", "--weak-sandbox", env=DENY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["score"] == 10
    assert report["sandbox"]["weak"] is True and "pid-namespace" in report["sandbox"]["missing"]
    assert "WEAK SANDBOX" in proc.stdout
    proc = cli("grade", path, "--json", out, "--device", "cpu")   # the machine's own sandbox: whole
    assert proc.returncode == 0 and json.loads(out.read_text())["sandbox"]["weak"] is False


def test_doctor_reports_the_measures():
    proc = cli("doctor", "--device", "cpu")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pid-namespace    yes" in proc.stdout and "canary: passed" in proc.stdout
    proc = cli("doctor", "--device", "cpu", env=DENY)
    assert proc.returncode == 3 and "DOES NOT HOLD" in proc.stdout


@pytest.mark.slow
def test_batch_stops_before_recording_a_single_score(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(registry.kit_root() / "nbgrader_config.py", course)
    shutil.copytree(registry.kit_root() / "source" / "ch04", course / "source" / "ch04")
    generate_assignments(course, ["ch04"])
    release = notebook.read(course / "release" / "ch04" / "softmax_regression.ipynb")
    for student in ("ada", "ben"):
        target = course / "submitted" / student / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook.with_solutions(release, {"ch04-softmax": reference_code("ch04-softmax")}), target)
    proc = cli("batch", course, "--assignment", "ch04", "--workers", "1", "--device", "cpu", env=DENY, cwd=course)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "not grading" in proc.stderr and not (course / "autograded").exists()
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_assignment("ch04").submissions == []
    proc = cli("batch", course, "--assignment", "ch04", "--workers", "1", "--device", "cpu", "--weak-sandbox",
               env=DENY, cwd=course)
    assert proc.returncode == 0 and "WEAK SANDBOX" in proc.stdout, proc.stdout + proc.stderr
    with open(course / "autograder-ch04.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(float(r["score"]) == 10 and "WEAK" in r["sandbox"] for r in rows)
