"""The one list of exercises. The CLI, the graders' runner, the notebook checks and the docs read it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Exercise:
    id: str            # chNN-<symbol>: the solution cell's nbgrader grade_id
    chapter: str       # nbgrader assignment name
    notebook: str      # file name under source/<chapter>/
    symbol: str        # the book's name for what the student writes
    points: float      # the exercise's weight in the gradebook
    grader: str        # module under autograder.graders
    book: str          # book section(s), for students and instructors
    kind: str = "function"   # or "class"

    @property
    def tests_grade_id(self) -> str:
        return f"{self.id}-tests"

    @property
    def check_grade_id(self) -> str:
        """The visible check cell: students run it, graders do not."""
        return f"{self.id}-check"

    @property
    def grader_module(self) -> str:
        return f"autograder.graders.{self.grader}"


EXERCISES: tuple[Exercise, ...] = (
    Exercise("ch04-softmax", "ch04", "softmax_regression.ipynb", "softmax", 10, "ch04_softmax",
             "4.1, 4.4, 4.5.2"),
    Exercise("ch05-dropout_layer", "ch05", "dropout.ipynb", "dropout_layer", 10, "ch05_dropout_layer",
             "5.6"),
)

BY_ID = {e.id: e for e in EXERCISES}


def get(exercise_id: str) -> Exercise:
    try:
        return BY_ID[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(BY_ID)}") from None


def chapters() -> list[str]:
    return sorted({e.chapter for e in EXERCISES})


def of_chapter(chapter: str) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter]


def of_notebook(chapter: str, notebook: str) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter and e.notebook == notebook]


def notebooks() -> list[tuple[str, str]]:
    """(chapter, notebook) pairs, in registry order, each once."""
    return list(dict.fromkeys((e.chapter, e.notebook) for e in EXERCISES))


def kit_root() -> Path:
    """The course folder whose source/ holds the reference solutions (override: AUTOGRADER_COURSE)."""
    return Path(os.environ.get("AUTOGRADER_COURSE") or Path(__file__).resolve().parents[1])


def source_path(exercise: Exercise, root: Path | None = None) -> Path:
    return (root or kit_root()) / "source" / exercise.chapter / exercise.notebook
