"""Path 1 (stock nbgrader): each lesson's hidden test cells, run in the lesson's own kernel as `nbgrader
autograde` runs them, give the instructor's solutions full marks, print nothing on stderr and show no error.

(The sandboxed path is checked on the same answer keys by tests/sandbox/test_private_clone.py.)"""
import os
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import build, registry

from .common import ROOT, rel

SOURCES = [ROOT / "source" / c / n for c, n in registry.notebooks()]


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_hidden_cells_in_the_kernel_give_the_answer_key_full_marks(path):
    nb = nbformat.read(path, as_version=4)
    before = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"    # as nbgrader autograde: demos skipped
    try:
        with tempfile.TemporaryDirectory(prefix="kit-kernel-") as tmp:
            NotebookClient(nb, timeout=600, allow_errors=True, kernel_name="python3",
                           kernel_manager_class=build.current_env_kernel_manager(),
                           resources={"metadata": {"path": tmp}}).execute()
    finally:
        if before is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = before
    problems = []
    for ex in registry.of_notebook(path.parent.name, path.name):
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ex.tests_grade_id)
        scores = [o["data"]["text/plain"] for o in cell.outputs if o.get("output_type") == "execute_result"]
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.get("output_type") == "error"]
        stderr = [o.get("text", "") for o in cell.outputs if o.get("name") == "stderr"]
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        if errors or stderr or scores != [f"{float(ex.points)}"]:
            problems.append(f"{ex.id}: score {scores}, errors {errors}, stderr {stderr}\n{printed}")
    assert not problems, "\n".join(problems)


def test_naming_the_banned_op_in_the_kernel_earns_nothing_as_in_the_sandbox():
    """In a kernel the grader reads the defining cell from IPython's input history (`In`), so a solution
    that goes through torch.distributions gets no credit on both paths (the sandbox reads the cell itself)."""
    import math

    import torch

    from autograder import notebook
    from autograder.grade import grade_callable
    banned = "def normal(x, mu, sigma):\n    return torch.distributions.Normal(mu, sigma).log_prob(x).exp()\n"
    for code, expected in ((banned, 0), (notebook.solution_code(registry.get("ch01-normal")), 10)):
        kernel = {"torch": torch, "math": math, "In": ["", "import torch", code]}
        exec(code, kernel)
        assert grade_callable("ch01-normal", kernel["normal"], "cpu").score == expected


def test_a_mistake_in_an_earlier_exercise_costs_nothing_later_in_the_kernel_either(monkeypatch):
    """Stock nbgrader grades MLPScratch in the student's kernel, beside their relu; the sandbox grades it with
    the reference relu. Both give a correct MLPScratch full marks whatever relu does, and relu alone loses."""
    import sys
    import types

    from autograder import notebook
    from autograder.grade import grade_callable
    wrong_relu = "def relu(X):\n    return X.abs()\n"
    mlp = notebook.solution_code(registry.get("ch05-MLPScratch"))
    kernel = types.ModuleType("student_kernel")   # a kernel's classes live in its user module, as here
    monkeypatch.setitem(sys.modules, kernel.__name__, kernel)
    kernel.In = ["", "import torch\nfrom torch import nn", wrong_relu, mlp]
    for cell in kernel.In:
        exec(cell, vars(kernel))
    assert grade_callable("ch05-MLPScratch", kernel.MLPScratch, "cpu").score == 10
    assert grade_callable("ch05-relu", kernel.relu, "cpu").score < 10
