"""Gradescope: the zip it takes, and results.json checked against Gradescope's specification of the format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/), written here as a JSON schema."""
import json
import subprocess
import sys
import zipfile

import jsonschema
import nbformat

from autograder import notebook

from .conftest import reference_code, release_path
from .graders.test_ch04_softmax import BOOK_4_1

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
TEST = {"type": "object", "additionalProperties": False,
        "required": ["name", "score", "max_score", "output", "visibility"],
        "properties": {"score": {"type": "number"}, "max_score": {"type": "number"},
                       "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"},
                       "name_format": FORMAT, "number": {"type": "string"}, "output": {"type": "string"},
                       "output_format": FORMAT, "tags": {"type": "array", "items": {"type": "string"}},
                       "visibility": VISIBILITY, "extra_data": {"type": "object"}}}
RESULTS = {"type": "object", "additionalProperties": False, "required": ["score", "execution_time", "tests"],
           "properties": {"score": {"type": "number"}, "execution_time": {"type": "number"},
                          "output": {"type": "string"}, "output_format": FORMAT, "test_output_format": FORMAT,
                          "test_name_format": FORMAT, "visibility": VISIBILITY, "stdout_visibility": VISIBILITY,
                          "extra_data": {"type": "object"}, "tests": {"type": "array", "items": TEST},
                          "leaderboard": {"type": "array"}}}
HIDDEN_SOURCE = ("BEGIN HIDDEN TESTS", "notebook_score", "def test_", "import pytest", "@pytest.mark")


def submit(folder, code):
    folder.mkdir(parents=True, exist_ok=True)
    nb = notebook.read(release_path("ch04-softmax"))
    if code is not None:
        nb = notebook.with_solutions(nb, {"ch04-softmax": code})
    nbformat.write(nb, folder / "softmax_regression.ipynb")


def grade(tmp_path, name, code):
    submit(tmp_path / name / "submission", code)
    out = tmp_path / name / "results" / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--assignment", "ch04", "--device",
                           "cpu", "--submission", str(tmp_path / name / "submission"), "--results", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    jsonschema.validate(data, RESULTS)
    assert not any(h in json.dumps(data) for h in HIDDEN_SOURCE)
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    return data


def test_results_json_follows_gradescopes_format(tmp_path):
    softmax = lambda data: [t for t in data["tests"] if t["name"].startswith("ch04-softmax:")]   # noqa: E731
    right = grade(tmp_path, "right", reference_code("ch04-softmax"))
    assert right["score"] == 10 and all(t["status"] == "passed" for t in softmax(right))
    # the chapter's other lesson was not uploaded: its exercises say so, and score 0
    others = [t for t in right["tests"] if not t["name"].startswith("ch04-softmax:")]
    assert others and all(t["score"] == 0 and "softmax_regression_scratch.ipynb is not in your submission"
                          in t["output"] for t in others)
    book = grade(tmp_path, "book", BOOK_4_1)
    assert book["score"] == 8
    (failed,) = [t for t in softmax(book) if t["status"] == "failed"]
    assert "maximum" in failed["output"] and failed["max_score"] == 2 and failed["score"] == 0
    tamper = grade(tmp_path, "tamper", "import torch\ntorch.allclose = lambda *a, **k: True\n"
                                       "def softmax(X):\n    X_exp = torch.exp(X - X.max(1, keepdim=True).values)\n"
                                       "    return X_exp / X_exp.sum(1, keepdim=True)\n")
    assert tamper["score"] == 0 and "reaches beyond" in tamper["tests"][0]["output"]
    empty = tmp_path / "nothing" / "submission"
    empty.mkdir(parents=True)
    out = tmp_path / "nothing" / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--assignment", "ch04", "--device",
                           "cpu", "--submission", str(empty), "--results", str(out)], capture_output=True,
                          text=True, timeout=600)
    data = json.loads(out.read_text())
    jsonschema.validate(data, RESULTS)
    assert data["score"] == 0 and "not in your submission" in data["tests"][0]["output"]


def test_autograder_zip(tmp_path):
    out = tmp_path / "gradescope-ch04.zip"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--assignment", "ch04", "--zip",
                           str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "kit/pyproject.toml", "kit/autograder/cli.py",
                "kit/source/ch04/softmax_regression.ipynb"} <= names
        assert not any(n.startswith(("kit/source/ch05", "kit/solutions", "kit/tests")) for n in names)
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111
        run = z.read("run_autograder").decode()
        assert "--assignment ch04" in run and "/autograder/results/results.json" in run
        for script in ("setup.sh", "run_autograder"):
            (tmp_path / script).write_bytes(z.read(script))
            check = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
            assert check.returncode == 0, check.stderr
