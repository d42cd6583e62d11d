"""The D2L autograded curriculum kit: graders, sandbox and CLI for the book's from-scratch exercises."""
__version__ = "0.1.0"


def grade_callable(exercise_id, obj, device=None):
    """Grade a function or class in this process (see autograder.grade.grade_callable)."""
    from .grade import grade_callable as _grade
    return _grade(exercise_id, obj, device)


def notebook_score(exercise_id, obj):
    """Used by hidden test cells: the partial score of `obj`, failures printed for the student."""
    from .grade import notebook_score as _score
    return _score(exercise_id, obj)
