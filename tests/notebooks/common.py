"""What the notebook checks share: where the notebooks are, how to name a cell, what to tell the author."""
from pathlib import Path

import pytest

from autograder import notebook, registry

ROOT = registry.kit_root()
REBUILD = ("release/ and solutions/ are generated from source/, never edited by hand: run `autograder build` "
           "(or `autograder build --chapter chNN`) and commit source/, release/ and solutions/ together.")


def notebooks(kind: str) -> list[Path]:
    """Every notebook under source/, release/ or solutions/ (not only the registry's: strays count too)."""
    return sorted((ROOT / kind).glob("*/*.ipynb"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def where(path: Path, index: int, cell) -> str:
    gid = notebook.grade_id(cell)
    return f"{rel(path)} cell {index}" + (f" ({gid})" if gid else "")


def report(problems: list[str], todo: str) -> str:
    return "\n".join(["", *(f"  - {p}" for p in problems), f"What to do: {todo}"])


def fail_if(problems: list[str], todo: str):
    """Fail with every problem listed and what to do (no traceback: the message is the whole story)."""
    if problems:
        pytest.fail(report(problems, todo), pytrace=False)
