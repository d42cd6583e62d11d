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


def test_code_that_draws_random_numbers_gets_one_grade_on_every_path(tmp_path):
    """A mistake that only shows for some random draws (an offset drawn from too wide a range) costs the same
    points at every grading, in a sandboxed worker (forked, so Python reseeds its `random` from the OS) and in
    this process (the reference's calls between the student's), because each session has its own seeded
    generators."""
    import nbformat

    from autograder import notebook, registry
    from autograder.grade import grade_notebook

    from ..graders.test_ch09_seq_data_iter_sequential import EX, MUTANTS
    code = MUTANTS["offset up to len(corpus)"][0]
    exercise = registry.get(EX)
    release = notebook.read(registry.kit_root() / "release" / exercise.chapter / exercise.notebook)
    path = tmp_path / exercise.notebook
    nbformat.write(notebook.with_solutions(release, {EX: code}), path)
    sandboxed = {next(e.score for e in grade_notebook(path, "cpu").exercises if e.id == EX) for _ in range(5)}
    in_process = {grade_code(EX, code, "cpu").score for _ in range(3)}
    assert len(sandboxed) == 1 and sandboxed == in_process, (sandboxed, in_process)
    assert max(sandboxed) < exercise.points   # the mistake costs points
