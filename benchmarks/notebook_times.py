"""How long each lesson's answer key takes to execute on this machine's CPU (the lessons-stay-fast budget).

    python benchmarks/notebook_times.py [--chapter ch04 ...]

For every notebook in the registry: the answer key that `autograder build` makes from source/ (hidden
tests removed, demos on) runs top to bottom in a fresh kernel of this interpreter, as nbval runs it in
CI. Prints the kernel start-up, the cells' time, the slowest cell, and the total over all notebooks.
Nothing here asserts a time: it is a number to watch when a lesson grows, not a test.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import build, notebook, registry  # noqa: E402


def time_notebook(chapter: str, name: str) -> dict:
    from nbclient import NotebookClient

    nb = build.answer_key(notebook.read(ROOT / "source" / chapter / name))
    cells = []
    with tempfile.TemporaryDirectory(prefix="kit-times-") as tmp:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                kernel_manager_class=build.current_env_kernel_manager(),
                                resources={"metadata": {"path": tmp}})
        start = time.perf_counter()
        with client.setup_kernel():
            ready = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t = time.perf_counter()
                client.execute_cell(cell, index)
                cells.append((time.perf_counter() - t, notebook.grade_id(cell) or f"cell {index}"))
        end = time.perf_counter()
    slowest = max(cells) if cells else (0.0, "-")
    return {"notebook": f"{chapter}/{name}", "kernel": ready - start, "cells": sum(s for s, _ in cells),
            "total": end - start, "slowest": slowest}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", action="append", help="only these chapters (repeatable)")
    args = parser.parse_args(argv)
    os.environ.pop("NBGRADER_EXECUTION", None)  # answer keys run their demos, as in CI
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]}")
    print(f"{'notebook':34} {'kernel s':>9} {'cells s':>8} {'total s':>8}  slowest cell")
    rows = []
    for chapter, name in registry.notebooks():
        if args.chapter and chapter not in args.chapter:
            continue
        r = time_notebook(chapter, name)
        rows.append(r)
        print(f"{r['notebook']:34} {r['kernel']:9.2f} {r['cells']:8.2f} {r['total']:8.2f}  "
              f"{r['slowest'][1]} ({r['slowest'][0]:.2f} s)", flush=True)
    print(f"{'total':34} {sum(r['kernel'] for r in rows):9.2f} {sum(r['cells'] for r in rows):8.2f} "
          f"{sum(r['total'] for r in rows):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
