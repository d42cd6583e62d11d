"""ch02-l2_norm's grader: reference full marks, stub zero, every realistic mistake loses points."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch02-l2_norm"

MUTANTS = {
    "no square root": ("""
def l2_norm(X):
    return (X * X).sum()
""", ["test_vector_and_matrix"], ["square root"]),
    "l1 norm": ("""
def l2_norm(X):
    return X.abs().sum()
""", ["test_vector_and_matrix"], ["l1 norm"]),
    "square of the sum": ("""
def l2_norm(X):
    return torch.sqrt(X.sum() ** 2)
""", ["test_vector_and_matrix"], ["before summing"]),
    "sums over axis 0 only": ("""
def l2_norm(X):
    return torch.sqrt((X ** 2).sum(dim=0))
""", ["test_vector_and_matrix", "test_more_axes"], ["all entries"]),
    "math.sqrt gives a Python number": ("""
import math
def l2_norm(X):
    return math.sqrt((X * X).sum())
""", ["test_vector_and_matrix", "test_gradient"], ["0-dimensional tensor"]),
    "torch.tensor of the result": ("""
import math
def l2_norm(X):
    return torch.tensor(math.sqrt((X * X).sum()))
""", ["test_gradient", "test_more_axes_float64"], ["dtype", "torch.tensor(...) of the result"]),
    "squares in place": ("""
def l2_norm(X):
    X **= 2
    return torch.sqrt(X.sum())
""", ["test_input_not_modified"], ["in place"]),
    "calls torch.norm": ("""
def l2_norm(X):
    return torch.norm(X)
""", ["test_written_from_scratch"], ["write yourself"]),
    "calls torch.linalg.vector_norm through getattr": ("""
def l2_norm(X):
    return getattr(torch.linalg, "vector_" + "norm")(X)
""", ["test_written_from_scratch"], ["write yourself"]),
    "python loop over the entries": ("""
def l2_norm(X):
    total = torch.zeros((), dtype=X.dtype, device=X.device)
    for v in X.reshape(-1):
        total = total + v * v
    return torch.sqrt(total)
""", ["test_speed"], ["reference solution"]),
    "scaled by the largest entry, without the zero case": ("""
def l2_norm(X):
    s = X.abs().max()
    return s * torch.sqrt(((X / s) ** 2).sum())
""", ["test_zero_tensor"], ["NaN"]),
}

ALTERNATIVES = {
    "pow and ** 0.5": """
def l2_norm(X):
    return X.pow(2).sum() ** 0.5
""",
    "dot product of the flattened tensor": """
def l2_norm(X):
    x = X.reshape(-1)
    return torch.sqrt(x @ x)
""",
    "torch.square and torch.sum": """
def l2_norm(X):
    return torch.sqrt(torch.sum(torch.square(X)))
""",
    "scaled by the largest entry, zero case by an if": """
def l2_norm(X):
    s = X.abs().max()
    if s == 0:
        return s
    return s * torch.sqrt(((X / s) ** 2).sum())
""",
    "scaled by the largest entry, zero case by torch.where": """
def l2_norm(X):
    s = X.abs().max()
    safe = torch.where(s > 0, s, torch.ones_like(s))
    return s * torch.sqrt(((X / safe) ** 2).sum())
""",
    "sum over every axis by name": """
def l2_norm(X):
    return (X ** 2).sum(dim=tuple(range(X.dim()))).sqrt()
""",
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
