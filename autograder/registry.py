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
    Exercise("ch07-corr2d", "ch07", "convolutions.ipynb", "corr2d", 10, "ch07_corr2d", "7.2"),
    Exercise("ch08-batch_norm", "ch08", "batch_norm.ipynb", "batch_norm", 10, "ch08_batch_norm", "8.5"),
    Exercise("ch08-BatchNorm", "ch08", "batch_norm.ipynb", "BatchNorm", 10, "ch08_BatchNorm", "8.5.3",
             kind="class"),
    Exercise("ch10-LSTMScratch", "ch10", "lstm.ipynb", "LSTMScratch", 10, "ch10_LSTMScratch", "10.1",
             kind="class"),
    Exercise("ch11-masked_softmax", "ch11", "attention.ipynb", "masked_softmax", 10, "ch11_masked_softmax",
             "11.3"),
    Exercise("ch11-MultiHeadAttention", "ch11", "attention.ipynb", "MultiHeadAttention", 10,
             "ch11_MultiHeadAttention", "11.5", kind="class"),
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
