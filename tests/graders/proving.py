"""Helpers for proving a grader: reference full marks, stub zero, each buggy variant loses points.

Graders run in-process here (`grade_code`: same Session and pytest plugin as the sandbox, no worker),
so the whole matrix of variants stays fast; tests/test_trust_boundary.py covers the sandbox itself.
"""
import json
import os

import pytest

from autograder import notebook, registry
from autograder.grade import grade_code as _grade_code


def grade_code(exercise_id, code):
    """grade_code, and with KIT_PROOF_LOG set, one JSON line per grading appended to that file (the test,
    the score, the messages): benchmarks/grader_evidence.py turns them into the per-exercise table."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "")   # read first: the grader's own pytest run clears it
    report = _grade_code(exercise_id, code)
    log = os.environ.get("KIT_PROOF_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"exercise": exercise_id, "test": test,
                                "score": report.score, "max": report.max_score,
                                "failed": [[t.name, t.message] for t in report.tests if not t.passed]}) + "\n")
    return report


def solution_cell(kind: str, exercise_id: str) -> str:
    """The exercise's cell in source/ (reference, markers stripped) or release/ (the student's stub)."""
    return notebook.solution_code(registry.get(exercise_id), kind)


def failed(report):
    return {t.name: t.message for t in report.tests if not t.passed}


def assert_full_marks(exercise_id, code):
    report = grade_code(exercise_id, code)
    assert report.score == report.max_score, report.summary()
    assert sum(t.points for t in report.tests) == report.max_score, "the grader's points must sum to the registry's"
    return report


def assert_zero(exercise_id, code):
    report = grade_code(exercise_id, code)
    assert report.score == 0, report.summary()
    assert all(t.message for t in report.tests), report.summary()
    return report


def assert_mutant_caught(exercise_id, code, tests, words):
    """The variant loses points in (at least) `tests`, and a message there names the mistake."""
    report = grade_code(exercise_id, code)
    lost = failed(report)
    assert report.score < report.max_score, report.summary()
    missing = [t for t in tests if not any(name.startswith(t) for name in lost)]
    assert not missing, f"expected failures in {missing}\n{report.summary()}"
    text = "\n".join(lost.values()).lower()
    assert all(w.lower() in text for w in words), f"message should mention {words}\n{report.summary()}"
    return report



def standard_proofs(exercise_id, mutants, prepare=lambda code: code):
    """The three proofs every grader owes, as test functions for a proof module to bind:

        test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)

    `mutants` maps a name to (code, test-name prefixes that must fail, words the message must contain);
    `prepare` turns a mutant's code into a whole solution cell (e.g. adds a shared reference part)."""
    def test_reference_gets_full_marks():
        assert_full_marks(exercise_id, solution_cell("source", exercise_id))

    def test_stub_gets_zero():
        report = assert_zero(exercise_id, solution_cell("release", exercise_id))
        assert all("NotImplementedError" in t.message for t in report.tests), report.summary()

    @pytest.mark.parametrize("name", list(mutants))
    def test_mutant_loses_points(name):
        code, tests, words = mutants[name]
        assert_mutant_caught(exercise_id, prepare(code), tests, words)

    return test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points
