"""A check cell that calls an earlier exercise (through d2lkit.checks.needs) names that exercise when it is
unfinished or wrong, instead of blaming the exercise under check."""
import os
import re
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import build, demo, notebook, registry

from .common import ROOT

NEEDS = re.compile(r"""needs\(\s*["'](\w+)["']""")


def dependent_checks():
    """(exercise whose check cell calls needs, the exercise it needs), for every lesson."""
    out = []
    for ex in registry.EXERCISES:
        for cell in notebook.source_notebook(ex).cells:
            if notebook.grade_id(cell) == ex.check_grade_id:
                for name in NEEDS.findall(notebook.source_text(cell)):
                    needed = [e for e in registry.of_notebook(ex.chapter, ex.notebook) if e.symbol == name]
                    out += [(ex, n) for n in needed]
    return out


def run_release(ex, solutions):
    nb = notebook.with_solutions(nbformat.read(ROOT / "release" / ex.chapter / ex.notebook, as_version=4), solutions)
    os.environ["NBGRADER_EXECUTION"] = "autograde"   # only the check cells matter here: skip the demos
    try:
        with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
            NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                           kernel_manager_class=build.current_env_kernel_manager(),
                           resources={"metadata": {"path": tmp}}).execute()
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
    cell = next(c for c in nb.cells if notebook.grade_id(c) == ex.check_grade_id)
    return "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.get("output_type") == "error")


@pytest.mark.slow
@pytest.mark.parametrize("ex, needed", dependent_checks(), ids=lambda v: getattr(v, "id", ""))
def test_check_names_an_unfinished_or_wrong_earlier_exercise(ex, needed):
    # every other exercise of the lesson done right, so that only `needed` can be to blame
    others = {e.id: notebook.solution_code(e) for e in registry.of_notebook(ex.chapter, ex.notebook)
              if e.id != needed.id}
    unfinished = run_release(ex, others)
    assert f"finish `{needed.symbol}` first" in unfinished, unfinished
    if needed.id in demo.MISTAKES:   # the classic mistake of the earlier exercise
        wrong = run_release(ex, {**others, needed.id: demo.mistaken(needed)})
        assert f"fix `{needed.symbol}` first" in wrong, wrong


def test_lessons_with_dependent_checks_exist():
    assert {(ex.id, n.id) for ex, n in dependent_checks()} >= {("ch11-MultiHeadAttention", "ch11-masked_softmax"),
                                                                ("ch08-BatchNorm", "ch08-batch_norm")}
