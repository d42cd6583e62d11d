"""`autograder new chNN-<symbol> [--class]`: the skeleton of a new exercise, in every place it needs one.

Writes the lesson cells (task, solution cell with a placeholder reference, visible check, hidden-test cell,
demo) into source/<chNN>/<notebook>, the grader module from the recipe, the proof file with the standard
proofs, and the registry entry. The skeleton is meant to fail its proofs until the author fills it in: the
reference raises NotImplementedError, the grader's truth too, and the proof file has no buggy variants yet
(tests/test_registry.py asks for at least five).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from . import notebook, registry

ID = re.compile(r"^(ch\d\d)-([A-Za-z_][A-Za-z0-9_]*)$")


def _meta(gid, grade=False, solution=False, locked=True, points=None) -> dict:
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def _code(gid, source, **flags):
    cell = nbformat.v4.new_code_cell(source, metadata=_meta(gid, **flags))
    cell.id = gid
    return cell


def _markdown(cid, source):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cid
    return cell


def lesson_cells(chapter, symbol, kind, book, points) -> list:
    eid = f"{chapter}-{symbol}"
    if kind == "class":
        stub = (f"class {symbol}(nn.Module):\n    \"\"\"TODO: what the layer computes (book {book}).\"\"\"\n\n"
                "    def __init__(self, num_inputs, num_outputs):\n        super().__init__()\n"
                "        ### BEGIN SOLUTION\n        raise NotImplementedError(\"write the reference solution\")\n"
                "        ### END SOLUTION\n\n    def forward(self, X):\n        ### BEGIN SOLUTION\n"
                "        raise NotImplementedError(\"write the reference solution\")\n        ### END SOLUTION")
        call = f"layer = {symbol}(5, 3)\nY = layer(torch.randn(2, 5))"
    else:
        stub = (f"def {symbol}(X):\n    \"\"\"TODO: what it returns (book {book}).\"\"\"\n    ### BEGIN SOLUTION\n"
                "    raise NotImplementedError(\"write the reference solution\")\n    ### END SOLUTION")
        call = f"Y = {symbol}(torch.randn(2, 5))"
    return [
        _markdown(f"md-{symbol}-task", f"## Your task: `{symbol}` (book {book})\n\nTODO: the idea in our own words "
                                       "and the book's notation; the rules (what is banned and why, dtype and "
                                       "device expectations)."),
        _code(eid, stub, solution=True, locked=False),
        _markdown(f"md-{symbol}-check", "### Check your work\n\nRun the cell below. It tries a few small inputs and "
                                        "tells you what to fix. Passing it is a good sign, not a grade."),
        _code(f"{eid}-check", f"{call}\nassert isinstance(Y, torch.Tensor), \"TODO: a friendly message\"\n"
                              "print(\"Looks good! The hidden tests check more when your notebook is graded.\")"),
        _code(f"{eid}-tests", f"# Hidden tests for {symbol} run here when your notebook is graded.\n"
                              "### BEGIN HIDDEN TESTS\nfrom autograder import notebook_score\n"
                              f"notebook_score(\"{eid}\", {symbol})\n### END HIDDEN TESTS",
              grade=True, points=points),
        _markdown(f"md-{symbol}-demo", "## Demo\n\nTODO: a small demo that uses your code, runs on a CPU in "
                                       "seconds, with a figure where the book has one."),
        _code(f"{eid}-demo", "if os.environ.get(\"NBGRADER_EXECUTION\") != \"autograde\":\n"
                             f"    pass  # TODO: use {symbol}; plot with d2lkit.figures"),
    ]


def new_notebook(chapter, stem) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    title = stem.replace("_", " ").capitalize()
    nb.cells = [_markdown(f"md-{chapter}-{stem}-title", f"# {title}\n\nTODO: the lesson's introduction."),
                _code(f"{chapter}-{stem}-imports", "import os\n\nimport torch\nfrom torch import nn")]
    return nb


GRADER = '''"""Grader for {eid}: `{call}` (book {book}). TODO: one line on what it computes and the truth used."""
import pytest
import torch

from autograder.checks import Mistake, expect_close, first_matching_hint, seeded
from autograder.recipe import Recipe

# TODO: the library ops this exercise re-implements (names as torch reports them), or None if it has none
BANNED = {{"functions": [], "aten": []}}


def inputs(device, seed=0, dtype=torch.float32):
    """TODO: the arguments of one call."""
    return (seeded(4, 5, seed=seed, dtype=dtype, device=device),)


def truth(X):
    """TODO: the expected result, with torch's own ops (float64, on the CPU, where precision matters)."""
    raise NotImplementedError("write the truth of this grader")


def about(X):
    return f"{call_text} for X of shape {{tuple(X.shape)}}"


def diagnose(args, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    return first_matching_hint(got, {{
        # "the hint that names the mistake": lambda: <the wrong answer that mistake gives>,
    }}, default="TODO: what the result should be")


def check_values(args, got, call):
    expect_close(got, truth(*args), call, lambda: diagnose(args, got))


recipe = Recipe(about, check_values{target})

test_matches_the_truth = recipe.values(4, lambda d: inputs(d), lambda d: inputs(d, seed=1, dtype=torch.float64))
test_gradient_matches_autograd = recipe.gradient(2, lambda d: inputs(d, seed=2, dtype=torch.float64), truth)
test_input_not_modified = recipe.unmodified(1, lambda d: inputs(d, seed=3), names=["X"])
test_written_from_scratch = recipe.from_scratch(1, lambda d: inputs(d, seed=4), BANNED, hint="TODO")
test_speed_against_reference = recipe.speed(2, lambda d: inputs(d, seed=5), hint="TODO: the fast way")
'''

PROOF = '''"""{eid}'s grader: reference full marks, stub zero, every realistic mistake loses points."""
from .proving import standard_proofs

EX = "{eid}"

# name -> (a whole solution cell with one realistic mistake, test-name prefixes that must fail, words that the
# message must contain). At least five; where the book's own listing is correct, prove it gets full marks.
MUTANTS = {{
}}

test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
'''


def _add_to_registry(path: Path, chapter, symbol, notebook_name, book, kind):
    text = path.read_text()
    marker = re.search(rf"^    # -- {chapter} .*$", text, re.M)
    if marker is None:
        raise SystemExit(f"no block for {chapter} in {path}")
    block_end = text.find("\n\n", marker.end())
    line = f'    ex("{chapter}", "{symbol}", "{notebook_name}", "{book}"' + \
           (', kind="class"' if kind == "class" else "") + "),\n"
    text = text[:block_end + 1] + line + text[block_end + 1:]
    path.write_text(text)


def new_exercise(exercise_id: str, kind: str = "function", notebook_name: str | None = None, book: str = "TODO",
                 points: float = 10, root: Path | None = None) -> list[Path]:
    m = ID.match(exercise_id)
    if not m:
        raise SystemExit(f"{exercise_id!r} is not an exercise id: chNN-<symbol>, e.g. ch03-l2_penalty")
    chapter, symbol = m.groups()
    root = root or registry.kit_root()
    if exercise_id in registry.BY_ID:
        raise SystemExit(f"{exercise_id} is already in the registry")
    existing = sorted({e.notebook for e in registry.of_chapter(chapter)})
    notebook_name = notebook_name or (existing[0] if len(existing) == 1 else f"{symbol.lower()}.ipynb")
    lesson = root / "source" / chapter / notebook_name
    written = []
    if lesson.exists():
        nb = notebook.read(lesson)
    else:
        lesson.parent.mkdir(parents=True, exist_ok=True)
        nb = new_notebook(chapter, Path(notebook_name).stem)
    nb.cells.extend(lesson_cells(chapter, symbol, kind, book, points))
    nbformat.write(nb, lesson)
    written.append(lesson)
    grader = root / "autograder" / "graders" / f"{chapter}_{symbol}.py"
    call_text = f"{symbol}(...)(X)" if kind == "class" else f"{symbol}(X)"
    target = (", target=lambda impl, device: impl.new(5, 3, seed=0)" if kind == "class" else "")
    grader.write_text(GRADER.format(eid=exercise_id, call=call_text, call_text=call_text, book=book, target=target))
    written.append(grader)
    proof = root / "tests" / "graders" / f"test_{chapter}_{symbol}.py"
    proof.write_text(PROOF.format(eid=exercise_id))
    written.append(proof)
    _add_to_registry(root / "autograder" / "registry.py", chapter, symbol, notebook_name, book, kind)
    written.append(root / "autograder" / "registry.py")
    return written


NEXT_STEPS = """
Next:
  1. source/{chapter}/{notebook}: write the task, the reference solution (the solution cell between the
     markers), a check cell that names what to fix, and the demo. Open it in JupyterLab, or edit the JSON.
  2. autograder/graders/{grader}.py: inputs, the truth, the mistakes' hints, tests unique to the exercise
     (the recipe gives values, gradient, input untouched, from scratch, speed).
  3. tests/graders/test_{grader}.py: at least five realistic mistakes in MUTANTS.
  4. autograder build --chapter {chapter}   (release/ and solutions/)
  5. python -m pytest tests/graders/test_{grader}.py tests/notebooks solutions/{chapter}
  6. autograder list --markdown  -> README's table."""
