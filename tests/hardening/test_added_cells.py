"""Cells a student adds run where they stand and are screened as the student's, whatever cell they follow.

A solution that calls a helper defined in a cell of the student's own gets full marks with that cell above,
between or below every cell of the lesson (markdown, given, solution, check, hidden-test cells); a
tampering cell added at any of those places is caught by the source screen.
"""
import nbformat
import pytest

from autograder import notebook
from autograder.grade import grade_notebook

from ..conftest import TEST_LIMITS, reference_code, release_path

HELPER = "def _shifted_exp(X):\n    return torch.exp(X - X.max(dim=1, keepdim=True).values)\n"
USES_HELPER = "def softmax(X):\n    E = _shifted_exp(X)\n    return E / E.sum(1, keepdim=True)\n"
TAMPER = "import torch\ntorch.allclose = lambda *a, **k: True\n"
MHA_HELPER = "def _heads(n):\n    return n\n"
MHA_USES = reference_code("ch11-MultiHeadAttention").replace("self.num_heads = num_heads",
                                                             "self.num_heads = _heads(num_heads)")


def with_cell_at(exercise_id, position, added, solutions):
    nb = notebook.with_solutions(notebook.read(release_path(exercise_id)), solutions)
    nb.cells.insert(position, nbformat.v4.new_code_cell(added))
    return nb


def describe(nb, position) -> str:
    above = nb.cells[position - 1] if position else None
    if above is None:
        return "at the top"
    return f"below {above.cell_type} {notebook.grade_id(above) or ''}".strip()


SOFTMAX_CELLS = len(notebook.read(release_path("ch04-softmax")).cells)


@pytest.mark.parametrize("position", range(SOFTMAX_CELLS + 1))
def test_helper_cell_anywhere_counts(position, tmp_path, references):
    nb = with_cell_at("ch04-softmax", position, HELPER, {"ch04-softmax": USES_HELPER})
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
    assert report.score == report.max_score, (describe(nb, position), report.exercises[0].summary())


@pytest.mark.parametrize("position", range(SOFTMAX_CELLS + 1))
def test_tampering_cell_anywhere_is_screened(position, tmp_path, references):
    nb = with_cell_at("ch04-softmax", position, TAMPER, {"ch04-softmax": reference_code("ch04-softmax")})
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
    (ex,) = report.exercises
    assert ex.score == 0 and "assigns to torch.allclose" in ex.error, (describe(nb, position), ex.summary())


def test_helper_below_each_kind_of_cell_of_a_two_exercise_lesson(tmp_path, references):
    """ch11: a helper for MultiHeadAttention below its check cell, its test cell and the last cell."""
    release = notebook.read(release_path("ch11-MultiHeadAttention"))
    ids = [notebook.grade_id(c) for c in release.cells]
    positions = [ids.index("ch11-MultiHeadAttention-check") + 1, ids.index("ch11-MultiHeadAttention-tests") + 1,
                 len(release.cells)]
    solutions = {"ch11-masked_softmax": reference_code("ch11-masked_softmax"), "ch11-MultiHeadAttention": MHA_USES}
    for position in positions:
        nb = with_cell_at("ch11-MultiHeadAttention", position, MHA_HELPER, solutions)
        path = tmp_path / "attention.ipynb"
        nbformat.write(nb, path)
        report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
        assert report.score == report.max_score, (describe(nb, position),
                                                  [e.summary() for e in report.exercises])


def test_scratch_cell_comparing_with_the_library_costs_nothing(tmp_path, references):
    """Students check their work against the library op in a cell of their own: that is no use of it."""
    scratch = "X = torch.randn(3, 4)\nprint(torch.softmax(X, dim=1) - softmax(X))\n"
    nb = with_cell_at("ch04-softmax", SOFTMAX_CELLS, scratch, {"ch04-softmax": reference_code("ch04-softmax")})
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
    assert report.score == report.max_score, report.exercises[0].summary()


def test_helper_cell_that_calls_the_library_op_is_caught_when_it_runs(tmp_path, references):
    helper = "import torch.nn.functional as F\ndef _rows(X):\n    return F.softmax(X, dim=1)\n"
    nb = with_cell_at("ch04-softmax", SOFTMAX_CELLS, helper, {"ch04-softmax": "def softmax(X):\n    return _rows(X)\n"})
    path = tmp_path / "softmax_regression.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, device="cpu", limits=TEST_LIMITS, references=references)
    (ex,) = report.exercises
    assert ex.score == 0 and "asks you to write yourself" in ex.no_credit, ex.summary()
