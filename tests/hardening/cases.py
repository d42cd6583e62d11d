"""Hostile and broken submissions, each with the score the kit must give and the reason it must state.

A case builds one notebook file. `expect` maps exercise ids to scores ("max" = full marks); `words` must
appear in the report's messages. ch11 cases put the hostile code in masked_softmax and an honest
MultiHeadAttention beside it, which must keep its full marks.
"""
import json

import nbformat

from autograder import notebook, registry

from ..conftest import reference_code, release_path

SOFTMAX_OK = reference_code("ch04-softmax")


def filled(exercise_id, code, transform=None):
    def build(path):
        nb = notebook.with_solutions(notebook.read(release_path(exercise_id)), {exercise_id: code})
        if transform:
            transform(nb)
        nbformat.write(nb, path)
    return build


def ch11(hostile):
    codes = {"ch11-masked_softmax": hostile, "ch11-MultiHeadAttention": reference_code("ch11-MultiHeadAttention")}

    def build(path):
        nbformat.write(notebook.with_solutions(notebook.read(release_path("ch11-masked_softmax")), codes), path)
    return build


def raw(data: bytes):
    return lambda path: path.write_bytes(data)


def softmax_after(prefix):
    """A correct softmax that first does something it must not."""
    return prefix + "\n" + SOFTMAX_OK


def _cells_with(nb, gid):
    return [c for c in nb.cells if notebook.grade_id(c) == gid]


def delete_solution(nb):
    nb.cells = [c for c in nb.cells if notebook.grade_id(c) != "ch04-softmax"]


def duplicate_solution(nb):
    cell = _cells_with(nb, "ch04-softmax")[0]
    nb.cells.insert(nb.cells.index(cell) + 1, nbformat.from_dict(json.loads(json.dumps(cell))))


def delete_tests(nb):
    nb.cells = [c for c in nb.cells if not notebook.is_test(c)]


def solution_to_markdown(nb):
    cell = _cells_with(nb, "ch04-softmax")[0]
    nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)


def edit_locked(nb):
    _cells_with(nb, "ch04-imports")[0].source = "torch = None  # the student broke the given imports"


def strip_metadata(nb):
    for c in nb.cells:
        c.metadata = {}


def huge(nb):
    nb.cells.append(nbformat.v4.new_markdown_cell("x" * (100 * 1024 * 1024)))


LOOP = "def softmax(X):\n    while True:\n        pass\n"

CASES = {
    # -- tampering: rejected on the text, or harmless in the sandbox ---------------------------------
    "patches torch comparisons": (filled("ch04-softmax", """
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda *a, **k: True
def softmax(X):
    return X
"""), {"ch04-softmax": 0}, ["assigns to torch.allclose"]),
    "wraps the autograder module": (filled("ch04-softmax", softmax_after(
        "import autograder\nautograder.notebook_score = lambda *a: 10")), {"ch04-softmax": 0}, ["imports autograder"]),
    "patches time.perf_counter": (filled("ch04-softmax", softmax_after(
        "import time\ntime.perf_counter = lambda: 0.0")), {"ch04-softmax": 0}, ["perf_counter"]),
    "changes builtins": (filled("ch04-softmax", softmax_after(
        "import builtins\nbuiltins.isinstance = lambda *a: True")), {"ch04-softmax": 0}, ["imports builtins"]),
    "writes the gradebook": (filled("ch04-softmax", softmax_after(
        "with open('gradebook.db', 'w') as f:\n    f.write('')")), {"ch04-softmax": 0}, ["uses open"]),
    "reads the reference from disk": (filled("ch04-softmax", softmax_after(
        "import os\nsecret = [os.listdir(p) for p in ('source', '../source')]")), {"ch04-softmax": 0},
        ["uses os.listdir"]),
    "reads the environment": (filled("ch04-softmax", softmax_after(
        "import os\nsecret = dict(os.environ)")), {"ch04-softmax": 0}, ["uses os.environ"]),
    "returns a tensor that equals everything": (filled("ch04-softmax", """
class Liar(torch.Tensor):
    def __eq__(self, other):
        return True
    def allclose(self, *a, **k):
        return True
def softmax(X):
    return X.as_subclass(Liar)
"""), {"ch04-softmax": 0}, ["wrong at"]),
    "calls the banned op through getattr": (filled("ch04-softmax", """
import torch.nn.functional as F
def softmax(X):
    return getattr(F, "soft" + "max")(X, dim=1)
"""), {"ch04-softmax": 0}, ["asks you to write yourself", "no credit"]),
    "calls the banned op through an alias": (filled("ch04-softmax", """
from torch.nn.functional import softmax as sm
def softmax(X):
    return sm(X, dim=1)
"""), {"ch04-softmax": 0}, ["asks you to write yourself"]),
    # -- resource abuse --------------------------------------------------------------------------------
    "loops forever at import time": (filled("ch04-softmax", "while True:\n    pass\n" + SOFTMAX_OK),
                                     {"ch04-softmax": 0}, ["time limit"]),
    "loops forever in the call": (filled("ch04-softmax", LOOP), {"ch04-softmax": 0}, ["time limit"]),
    "allocates without bound": (filled("ch04-softmax", """
def softmax(X):
    hoard = []
    while True:
        hoard.append(torch.ones(1 << 26))   # 256 MB a time: the limit, not the clock, stops it
"""), {"ch04-softmax": 0}, ["memory"]),
    "fork bomb": (filled("ch04-softmax", softmax_after("import os\nwhile True:\n    os.fork()")),
                  {"ch04-softmax": 0}, ["uses os.fork"]),
    "floods stdout": (filled("ch04-softmax", """
def softmax(X):
    for _ in range(100000):
        print("spam " * 40)
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)
"""), {"ch04-softmax": 0}, ["output limit"]),
    "sleeps just under the limit": (filled("ch04-softmax", """
import time
def softmax(X):
    time.sleep(1.0)
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)
"""), {"ch04-softmax": 9}, ["reference solution"]),
    "sleeps over the limit": (filled("ch04-softmax", """
import time
def softmax(X):
    time.sleep(30)
    return X
"""), {"ch04-softmax": 0}, ["time limit"]),
    "returns a huge tensor": (filled("ch04-softmax", """
def softmax(X):
    return torch.zeros(80_000_000)
"""), {"ch04-softmax": 0}, ["more data than the grader accepts"]),
    "dropout hangs instead of raising on an invalid probability": (filled("ch05-dropout_layer", """
def dropout_layer(X, dropout):
    while not 0 <= dropout <= 1:
        pass
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return mask * X / (1.0 - dropout)
"""), {"ch05-dropout_layer": 9.5}, ["time limit"]),
    "hostile masked_softmax beside an honest MultiHeadAttention": (ch11(
        "import torch\ntorch.allclose = lambda *a, **k: True\ndef masked_softmax(X, valid_lens):\n    return X\n"),
        {"ch11-masked_softmax": 0, "ch11-MultiHeadAttention": "max"}, ["assigns to torch.allclose"]),
    "hanging masked_softmax beside an honest MultiHeadAttention": (ch11(
        "def masked_softmax(X, valid_lens):\n    while True:\n        pass\n"),
        {"ch11-masked_softmax": 0, "ch11-MultiHeadAttention": "max"}, ["time limit"]),
    # -- broken notebooks ----------------------------------------------------------------------------
    "invalid JSON": (raw(b'{"cells": [{"cell_type": "code",'), {}, ["not valid JSON"]),
    "not a notebook": (raw(b'{"hello": "world"}'), {}, ["not a Jupyter notebook"]),
    "empty file": (raw(b""), {}, ["is empty"]),
    "not UTF-8": (raw('{"cells": []}'.encode("utf-16")), {}, ["not UTF-8"]),
    "syntax error": (filled("ch04-softmax", "def softmax(X)\n    return X\n"), {"ch04-softmax": 0}, ["SyntaxError"]),
    "solution cell deleted": (filled("ch04-softmax", SOFTMAX_OK, delete_solution), {"ch04-softmax": 0},
                              ["missing"]),
    "solution cell duplicated": (filled("ch04-softmax", SOFTMAX_OK, duplicate_solution), {"ch04-softmax": "max"},
                                 []),
    "test cell deleted": (filled("ch04-softmax", SOFTMAX_OK, delete_tests), {"ch04-softmax": "max"}, []),
    "solution cell turned into markdown": (filled("ch04-softmax", SOFTMAX_OK, solution_to_markdown),
                                           {"ch04-softmax": 0}, ["missing"]),
    "locked cell edited": (filled("ch04-softmax", SOFTMAX_OK, edit_locked), {"ch04-softmax": "max"}, []),
    "metadata stripped": (filled("ch04-softmax", SOFTMAX_OK, strip_metadata), {"ch04-softmax": "max"}, []),
    "100 MB notebook": (filled("ch04-softmax", SOFTMAX_OK, huge), {"ch04-softmax": "max"}, []),
}


def expected_score(exercise_id, value):
    return registry.get(exercise_id).points if value == "max" else value
