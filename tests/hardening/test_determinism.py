"""The same submission always gets the same grade: seeds are fixed, timing verdicts are far from their
thresholds for honest code, and nothing carries over from one grading to the next."""
import pytest

from autograder.grade import grade_code

from ..graders.test_ch05_dropout_layer import BOOK_5_6


@pytest.mark.slow
def test_twenty_gradings_agree():
    reports = [grade_code("ch05-dropout_layer", BOOK_5_6) for _ in range(20)]
    outcomes = {(r.score, tuple((t.name, t.passed) for t in r.tests)) for r in reports}
    assert len(outcomes) == 1, outcomes
    assert reports[0].score == 9
