"""Student code runs in a sandboxed worker: tampering, hangs, memory blow-ups and exits earn nothing and
cost nothing else (issue: the trust boundary). Each hostile softmax submission is graded, then an honest
dropout submission in the same grading process must still get full marks.

These run with the source screen off (`screen=False`): the sandbox alone must contain them. The screen,
which rejects most of them before they run, is tested at the end."""
import json
import subprocess
import sys

import pytest
import torch

from autograder.grade import grade_notebook

from .conftest import TEST_LIMITS, reference_code

HOSTILE = {
    # stock nbgrader gives this full marks: the hidden tests run in the student's kernel
    "patches torch.allclose": ("""
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True
def softmax(X):
    return X
""", "wrong at"),
    "plants a fake autograder module": ("""
import sys, types
fake = types.ModuleType("autograder")
fake.notebook_score = lambda *a, **k: 10
fake.grade_callable = lambda *a, **k: None
sys.modules["autograder"] = fake
sys.modules["autograder.checks"] = fake
def softmax(X):
    return X
""", "wrong at"),
    "loops forever": ("""
def softmax(X):
    while True:
        pass
""", "time limit"),
    "allocates memory without bound": ("""
def softmax(X):
    hoard = []
    while True:
        hoard.append(torch.ones(1 << 26))   # 256 MB a time: the limit, not the clock, stops it
""", "memory"),
    "calls os._exit(0)": ("""
import os
def softmax(X):
    os._exit(0)
""", "exited"),
    "sleeps in native code past the limit": ("""
import time
def softmax(X):
    import signal
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    time.sleep(60)
    return X
""", "time limit"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_submission_earns_nothing_and_costs_nothing_else(name, submission, references):
    code, reason = HOSTILE[name]
    hostile = submission("ch04-softmax", code)
    honest = submission("ch05-dropout_layer", reference_code("ch05-dropout_layer"))
    report = grade_notebook(hostile, device="cpu", limits=TEST_LIMITS, references=references, screen=False)
    assert report.score == 0, report.exercises[0].summary()
    messages = " ".join(t.message for e in report.exercises for t in e.tests).lower()
    assert reason in messages, report.exercises[0].summary()
    # the trusted process is untouched: torch still compares honestly, and a classmate is graded in full
    assert not torch.allclose(torch.zeros(1), torch.ones(1))
    classmate = grade_notebook(honest, device="cpu", limits=TEST_LIMITS, references=references)
    assert classmate.score == classmate.max_score == 10, classmate.exercises[0].summary()


def test_cli_writes_the_contract_json(submission, tmp_path):
    path = submission("ch04-softmax", HOSTILE["patches torch.allclose"][0])
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json", str(out),
                           "--device", "cpu"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert set(data) >= {"notebook", "score", "max_score", "exercises"}
    assert data["score"] == 0 and data["max_score"] == 10
    (ex,) = data["exercises"]
    assert set(ex) >= {"id", "score", "max_score", "tests"} and ex["id"] == "ch04-softmax"
    for t in ex["tests"]:
        assert set(t) >= {"name", "points", "passed", "message"}
        assert not t["passed"] and t["message"]


def test_reference_through_the_sandbox_gets_full_marks(submission, references):
    for ex in ("ch04-softmax", "ch05-dropout_layer"):
        report = grade_notebook(submission(ex, reference_code(ex)), device="cpu", limits=TEST_LIMITS,
                                references=references)
        assert report.score == report.max_score, report.exercises[0].summary()
        report = grade_notebook(submission(ex), device="cpu", limits=TEST_LIMITS, references=references)
        assert report.score == 0


def test_unreadable_notebooks_get_a_clear_message(tmp_path):
    cases = {"empty.ipynb": b"", "broken.ipynb": b'{"cells": [', "latin1.ipynb": b'{"cells": "\xe9"}',
             "list.ipynb": b"[1, 2, 3]"}
    words = {"empty.ipynb": "empty", "broken.ipynb": "not valid JSON", "latin1.ipynb": "UTF-8",
             "list.ipynb": "not a Jupyter notebook"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        report = grade_notebook(tmp_path / name, device="cpu", limits=TEST_LIMITS)
        assert report.score == 0 and words[name] in report.error, report.error


def test_the_source_screen_names_what_it_found(submission, references):
    expected = {"patches torch.allclose": "assigns to torch.allclose",
                "plants a fake autograder module": "uses sys.modules",
                "calls os._exit(0)": "uses os._exit",
                "sleeps in native code past the limit": "imports signal"}
    for name, words in expected.items():
        report = grade_notebook(submission("ch04-softmax", HOSTILE[name][0]), device="cpu", limits=TEST_LIMITS,
                                references=references)
        (ex,) = report.exercises
        assert ex.score == 0 and words in ex.error and "reaches beyond the exercise" in ex.error, ex.summary()
