"""ch02-normalize_rows's grader: reference full marks, stub zero, every realistic mistake loses points."""
import pytest

from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch02-normalize_rows"

# book 2.3.7: the non-reduction sum, then the division, as the section writes them
BOOK_2_3_7 = """
def normalize_rows(A):
    sum_A = A.sum(axis=1, keepdims=True)
    return A / sum_A
"""

# book 2.3, exercise 6: what happens without keepdims
BOOK_EXERCISE_6 = """
def normalize_rows(A):
    return A / A.sum(axis=1)
"""

MUTANTS = {
    "no keepdim (book exercise 6)": (BOOK_EXERCISE_6, ["test_rows_sum_to_one", "test_square_matrix"],
                                     ["keepdim", "column j"]),
    "column sums": ("""
def normalize_rows(A):
    return A / A.sum(dim=0, keepdim=True)
""", ["test_rows_sum_to_one", "test_square_matrix"], ["column sums"]),
    "sum of the whole matrix": ("""
def normalize_rows(A):
    return A / A.sum()
""", ["test_rows_sum_to_one"], ["whole matrix"]),
    "row means": ("""
def normalize_rows(A):
    return A / A.mean(dim=1, keepdim=True)
""", ["test_rows_sum_to_one"], ["row means"]),
    "floor division": ("""
def normalize_rows(A):
    return A // A.sum(dim=1, keepdim=True)
""", ["test_integer_counts", "test_rows_sum_to_one"], ["floor division"]),
    "divides in place": ("""
def normalize_rows(A):
    A /= A.sum(dim=1, keepdim=True)
    return A
""", ["test_input_not_modified"], ["in place"]),
    "detaches the row sums": ("""
def normalize_rows(A):
    return A / A.sum(dim=1, keepdim=True).detach()
""", ["test_gradient"], ["gradient", "detach"]),
    "python loop over rows": ("""
def normalize_rows(A):
    return torch.stack([row / row.sum() for row in A])
""", ["test_speed"], ["reference solution"]),
    "casts to float32": ("""
def normalize_rows(A):
    A = A.float()
    return A / A.sum(dim=1, keepdim=True)
""", ["test_one_row_one_column_and_float64"], ["dtype"]),
    "calls F.normalize": ("""
import torch.nn.functional as F
def normalize_rows(A):
    return F.normalize(A, p=1, dim=1)
""", ["test_written_from_scratch"], ["write yourself"]),
    "row sums in a column made on the CPU": ("""
def normalize_rows(A):
    sums = torch.zeros(A.shape[0], 1, dtype=A.dtype)
    sums[:, 0] = A.sum(dim=1)
    return A / sums
""", ["test_result_on_the_inputs_device"], ["device"]),
}

ALTERNATIVES = {
    "reshape the row sums": """
def normalize_rows(A):
    return A / A.sum(1).reshape(-1, 1)
""",
    "None indexing": """
def normalize_rows(A):
    return A / A.sum(dim=1)[:, None]
""",
    "transpose twice": """
def normalize_rows(A):
    return (A.T / A.sum(axis=1)).T
""",
    "reciprocal and multiply": """
def normalize_rows(A):
    return A * torch.reciprocal(A.sum(-1, keepdim=True))
""",
    "matrix product with ones on A's device": """
def normalize_rows(A):
    ones = torch.ones(A.shape[1], 1, dtype=A.dtype, device=A.device)
    return A / (A @ ones) if A.is_floating_point() else A / A.sum(1, keepdim=True)
""",
    "a clone divided in place": """
def normalize_rows(A):
    P = A.clone() if A.is_floating_point() else A.double()
    P /= P.sum(dim=1, keepdim=True)
    return P
""",
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_2_3_7)


def test_without_keepdim_only_a_single_row_survives():
    """Book exercise 6: (n, m) / (n,) raises for n != m and is silently wrong for n == m; only one row (n = 1) and
    what never looks at a value pass."""
    lost = failed(grade_code(EX, BOOK_EXERCISE_6))
    assert {"test_rows_sum_to_one", "test_square_matrix", "test_one_row_one_column_and_float64"} <= set(lost)
    assert "must match the size" in lost["test_rows_sum_to_one"]
    assert "column j" in lost["test_square_matrix"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
