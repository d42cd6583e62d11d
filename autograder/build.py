"""Regenerate release/ (stock `nbgrader generate_assignment`) and solutions/ (executed answer keys).

`autograder build` writes both; `autograder build --check` builds into a temporary folder and reports
every notebook whose committed copy differs (cell sources and nbgrader metadata for release/, sources
and outputs for solutions/), so CI can say exactly what to regenerate.
"""
from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from . import notebook, registry

REBUILD = "autograder build"


def nbgrader_env() -> dict:
    """nbgrader shells out to `alembic`; make the interpreter's scripts folder findable."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate_assignments(course: Path, chapters=None):
    """Stock `nbgrader generate_assignment` in `course`: writes its release/ and its gradebook."""
    for chapter in chapters or registry.chapters():
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", chapter, "--force"],
                              cwd=course, env=nbgrader_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {chapter} failed:\n{proc.stdout}{proc.stderr}")


def build_release(root: Path, out: Path, chapters=None) -> list[Path]:
    """Run stock nbgrader generate_assignment on a copy of the course; copy release/<ch>/ to `out`."""
    written = []
    with tempfile.TemporaryDirectory(prefix="kit-release-") as tmp:
        tmp = Path(tmp)
        shutil.copy(root / "nbgrader_config.py", tmp / "nbgrader_config.py")
        shutil.copytree(root / "source", tmp / "source")
        generate_assignments(tmp, chapters)
        for chapter in chapters or registry.chapters():
            (out / chapter).mkdir(parents=True, exist_ok=True)
            for nb in sorted((tmp / "release" / chapter).glob("*.ipynb")):
                shutil.copy(nb, out / chapter / nb.name)
                written.append(out / chapter / nb.name)
    return written


def answer_key(source_nb) -> nbformat.NotebookNode:
    """Source without hidden tests and solution markers, outputs cleared (executed later)."""
    nb = copy.deepcopy(source_nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = notebook.source_text(cell)
        if notebook.is_test(cell):
            text = notebook.strip_hidden_tests(text).rstrip("\n")
        if notebook.is_solution(cell):
            text = notebook.strip_solution_markers(text)
        cell.source = text
        cell.outputs, cell.execution_count = [], None
    return nb


def execute(nb, cwd: Path, timeout: int = 600):
    from nbclient import NotebookClient
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)  # answer keys run their demos
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       ).execute()
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before
    return nb


def build_solutions(root: Path, out: Path, chapters=None) -> list[Path]:
    written = []
    for chapter, name in registry.notebooks():
        if chapters and chapter not in chapters:
            continue
        src = notebook.read(root / "source" / chapter / name)
        with tempfile.TemporaryDirectory(prefix="kit-solution-") as tmp:
            nb = execute(answer_key(src), Path(tmp))
        (out / chapter).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out / chapter / name)
        written.append(out / chapter / name)
    return written


def _cells(path: Path, with_outputs: bool):
    nb = notebook.read(path)
    rows = []
    for c in nb.cells:
        row = [c.cell_type, notebook.source_text(c), notebook.meta(c)]
        if with_outputs and c.cell_type == "code":
            row.append([{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])])
        rows.append(row)
    return rows


def drift(root: Path, chapters=None) -> list[str]:
    """Notebooks in release/ or solutions/ that differ from what the generators make now."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
        tmp = Path(tmp)
        for kind, builder, outputs in (("release", build_release, False), ("solutions", build_solutions, True)):
            fresh = builder(root, tmp / kind, chapters)
            expected = {p.relative_to(tmp / kind) for p in fresh}
            committed = {p.relative_to(root / kind) for p in (root / kind).glob("*/*.ipynb")}
            if chapters:
                committed = {p for p in committed if p.parts[0] in chapters}
            for rel in sorted(expected - committed):
                problems.append(f"{kind}/{rel} is missing")
            for rel in sorted(committed - expected):
                problems.append(f"{kind}/{rel} has no source notebook")
            for rel in sorted(expected & committed):
                if _cells(tmp / kind / rel, outputs) != _cells(root / kind / rel, outputs):
                    problems.append(f"{kind}/{rel} differs from what its generator makes from source/")
    return problems


def main(check: bool = False, chapters=None, root: Path | None = None) -> int:
    root = root or registry.kit_root()
    if check:
        problems = drift(root, chapters)
        for p in problems:
            print(f"DRIFT: {p}")
        if problems:
            print(f"release/ and solutions/ are generated, never edited by hand: run `{REBUILD}` and commit.")
            return 1
        print("release/ and solutions/ match source/.")
        return 0
    for p in build_release(root, root / "release", chapters) + build_solutions(root, root / "solutions", chapters):
        print(f"wrote {p.relative_to(root)}")
    return 0
