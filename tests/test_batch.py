"""`autograder batch`: nbgrader layout in, gradebook + JSON + CSV out, in parallel, locally or on Dask."""
import csv
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import batch, notebook, registry
from autograder.build import generate_assignments, nbgrader_env

from .conftest import reference_code
from .graders.test_ch04_softmax import BOOK_4_1

CLASS = {  # student -> (solution code or None for the untouched release copy, expected score)
    "s1-ada": ("reference", 10),
    "s2-ben": (None, 0),
    "s3-cy": (BOOK_4_1, 8),
    "s4-exit": ("import os\ndef softmax(X):\n    os._exit(0)\n", 0),
    "s5-tamper": ("import torch\ntorch.allclose = lambda *a, **k: True\ndef softmax(X):\n    return X\n", 0),
    "s6-dee": ("reference", 10),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(registry.kit_root() / "nbgrader_config.py", root)
    shutil.copytree(registry.kit_root() / "source" / "ch04", root / "source" / "ch04")
    generate_assignments(root, ["ch04"])
    release = notebook.read(root / "release" / "ch04" / "softmax_regression.ipynb")
    for student, (code, _) in CLASS.items():
        code = reference_code("ch04-softmax") if code == "reference" else code
        nb = notebook.with_solutions(release, {"ch04-softmax": code}) if code else release
        target = root / "submitted" / student / "ch04" / "softmax_regression.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    # a damaged file in the middle of the class
    broken = root / "submitted" / "s3b-broken" / "ch04" / "softmax_regression.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ {"cell_type": "code", ')
    return root


def scores_from_export(course):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "grades.csv"], cwd=course,
                          env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(course / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f) if row["assignment"] == "ch04"}


def test_layout_reading(course):
    subs = batch.find_submissions(course, "ch04")
    assert [s.student for s in subs] == sorted(list(CLASS) + ["s3b-broken"])
    assert all(s.path.name == "softmax_regression.ipynb" and s.assignment == "ch04" for s in subs)
    assert batch.find_submissions(course, "ch99") == []
    db_url, course_id = batch.course_settings(course)
    assert db_url.endswith("gradebook.db") and course_id == "d2l"


@pytest.mark.slow
def test_batch_grades_the_class_into_the_gradebook(course, capsys):
    assert batch.run_batch(course, "ch04", workers=2, progress=False) == 0
    out = capsys.readouterr().out
    assert "7 to grade" in out and "FAILED s3b-broken/softmax_regression.ipynb" in out and "not valid JSON" in out
    expected = {s: float(score) for s, (_, score) in CLASS.items()} | {"s3b-broken": 0.0}
    assert scores_from_export(course) == expected
    report = json.loads((course / "autograded" / "s3-cy" / "ch04" / "softmax_regression.json").read_text())
    assert report["score"] == 8 and "maximum" in json.dumps(report)
    with open(course / "autograder-ch04.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert float(rows["s1-ada"]["ch04-softmax"]) == 10 and "not valid JSON" in rows["s3b-broken"]["error"]

    # a second run grades nothing new; a changed submission is graded again, alone
    assert batch.run_batch(course, "ch04", workers=1, progress=False) == 0
    assert "0 to grade" in capsys.readouterr().out
    path = course / "submitted" / "s2-ben" / "ch04" / "softmax_regression.ipynb"
    release = notebook.read(path)
    nbformat.write(notebook.with_solutions(release, {"ch04-softmax": reference_code("ch04-softmax")}), path)
    assert batch.run_batch(course, "ch04", workers=1, progress=False) == 0
    assert "1 to grade" in capsys.readouterr().out
    assert scores_from_export(course)["s2-ben"] == 10


@pytest.mark.slow
def test_dask_cluster_gives_the_same_scores(course, tmp_path):
    import dask
    from distributed import LocalCluster
    copy = tmp_path / "course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("autograded", "grades.csv", "*.csv"))
    # grader processes start sandboxed workers of their own, which daemonic Dask workers may not do
    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert batch.run_batch(copy, "ch04", scheduler=cluster.scheduler_address, force=True,
                               progress=False) == 0
    exported = scores_from_export(copy)
    assert exported["s1-ada"] == 10 and exported["s3-cy"] == 8 and exported["s5-tamper"] == 0
