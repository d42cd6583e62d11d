"""Regenerate release/ (stock `nbgrader generate_assignment`) and solutions/ (executed answer keys).

`autograder build` writes both; `autograder build --check` builds into a temporary folder and reports
every notebook whose committed copy differs (cell sources and nbgrader metadata for release/, sources
and outputs for solutions/), so CI can say exactly what to regenerate.
"""
from __future__ import annotations

import copy
import functools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
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
        if cell.cell_type == "markdown" and notebook.is_solution(cell):   # a written answer: model + rubric
            cell.source = notebook.strip_solution_markers(notebook.source_text(cell))
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


@functools.lru_cache(maxsize=None)
def current_env_kernel_manager():
    """nbclient's kernel manager class, made on first use (importing the kit stays cheap)."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default

    class ThisInterpreterSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict
            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())

    class CurrentEnvKernelManager(AsyncKernelManager):
        """A kernel of this very interpreter, whatever kernelspecs the machine has installed (as nbval's
        --nbval-current-env): answer keys are built and checked with the kit's own torch."""

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return ThisInterpreterSpecs(data_dir=self.data_dir)

    return CurrentEnvKernelManager


def execute(nb, cwd: Path, timeout: int = 600):
    from nbclient import NotebookClient
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)  # answer keys run their demos
    try:
        # no per-cell timestamps: a rebuild of an unchanged lesson leaves solutions/ byte for byte the same
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       kernel_manager_class=current_env_kernel_manager(), record_timing=False).execute()
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before
    return nb


def build_solutions(root: Path, out: Path, chapters=None, run: bool = True) -> list[Path]:
    """Answer keys of every notebook; `run=False` leaves them unexecuted (for comparing sources only)."""
    written = []
    for chapter, name in registry.notebooks():
        if chapters and chapter not in chapters:
            continue
        nb = answer_key(notebook.read(root / "source" / chapter / name))
        if run:
            with tempfile.TemporaryDirectory(prefix="kit-solution-") as tmp:
                start = time.perf_counter()
                nb = execute(nb, Path(tmp))
            # for the syllabus; rounded up to 5 s so that a rebuild of an unchanged lesson changes nothing
            nb.metadata["kit"] = {"answer_key_seconds": 5 * math.ceil((time.perf_counter() - start) / 5)}
        (out / chapter).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out / chapter / name)
        written.append(out / chapter / name)
    return written


def _outputs(cell) -> list:
    """A cell's outputs as nbval compares them: streams joined (how a kernel splits them into messages
    varies run to run), no execution counts; none at all for a cell marked `# NBVAL_IGNORE_OUTPUT`."""
    if "NBVAL_IGNORE_OUTPUT" in notebook.source_text(cell):
        return []
    rows = []
    for o in cell.get("outputs", []):
        o = {k: v for k, v in o.items() if k != "execution_count"}
        if o.get("output_type") == "stream" and rows and rows[-1].get("output_type") == "stream" \
                and rows[-1].get("name") == o.get("name"):
            rows[-1] = {**rows[-1], "text": rows[-1]["text"] + o["text"]}
        else:
            rows.append(o)
    return rows


def _cells(path: Path, with_outputs: bool):
    nb = notebook.read(path)
    rows = []
    for c in nb.cells:
        row = [c.cell_type, notebook.source_text(c), notebook.meta(c)]
        if with_outputs and c.cell_type == "code":
            row.append(_outputs(c))
        rows.append(row)
    return rows


def _first_difference(fresh: list, committed: list) -> str:
    """Where a committed notebook first departs from the generator's: the author knows what to look at."""
    parts = ("cell type", "source", "nbgrader metadata", "outputs")
    for i, (a, b) in enumerate(zip(fresh, committed)):
        if a != b:
            what = next((parts[k] for k in range(min(len(a), len(b))) if a[k] != b[k]), "cell")
            gid = a[2].get("grade_id") or b[2].get("grade_id")
            return f" (first at cell {i}{f' {gid}' if gid else ''}: its {what})"
    return f" ({len(committed)} cells, the generator makes {len(fresh)})"


def drift(root: Path, chapters=None, outputs: bool = True) -> list[str]:
    """Notebooks in release/ or solutions/ that differ from what the generators make now.

    outputs=False does not execute the answer keys: solutions/ is compared by cell sources and metadata
    only (the test suite does that, and nbval re-executes solutions/ and compares the outputs).
    """
    problems = []
    with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
        tmp = Path(tmp)
        for kind, builder, with_outputs in (
                ("release", build_release, False),
                ("solutions", functools.partial(build_solutions, run=outputs), outputs)):
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
                fresh_cells, committed_cells = _cells(tmp / kind / rel, with_outputs), _cells(root / kind / rel,
                                                                                            with_outputs)
                if fresh_cells != committed_cells:
                    problems.append(f"{kind}/{rel} differs from what its generator makes from source/"
                                    f"{_first_difference(fresh_cells, committed_cells)}")
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
    from .syllabus import write_syllabus
    print(f"wrote {write_syllabus(root).relative_to(root)}")
    return 0
