"""ch02-control_flow's grader: reference full marks, stub zero, every realistic mistake loses points.

No variant here may loop forever on the grader's inputs: proofs grade in-process, where nothing stops a hang (the
sandbox's time limit does that in real grading). `while b.sum() < 1000`, for instance, never ends for a negative a."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch02-control_flow"

# book 2.5.4, as printed (PyTorch tab), under the exercise's name
BOOK_2_5_4 = """
def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
"""

MUTANTS = {
    "<= in the loop": ("""
def control_flow(a):
    b = a * 2
    while b.norm() <= 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_boundaries"], ["<="]),
    ">= in the if": ("""
def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() >= 0 else 100 * b
""", ["test_boundaries"], ["exactly 0"]),
    "starts the loop from a": ("""
def control_flow(a):
    b = a
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_boundaries"], ["b = 2a"]),
    "branches swapped": ("""
def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return 100 * b if b.sum() > 0 else b
""", ["test_scalars", "test_whole_tensor"], ["other way round"]),
    "scales a instead of b": ("""
def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * a
""", ["test_scalars", "test_gradient_is_f_over_a"], ["not a"]),
    "elementwise branch with torch.where": ("""
def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return torch.where(b > 0, b, 100 * b)
""", ["test_whole_tensor_conditions"], ["whole tensor"]),
    "l1 norm in the loop": ("""
def control_flow(a):
    b = a * 2
    while b.abs().sum() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_whole_tensor_conditions"], ["whole tensor"]),
    "detached copy": ("""
def control_flow(a):
    b = a.clone().detach() * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_gradient_matches_autograd", "test_gradient_is_f_over_a"], ["cut autograd's graph"]),
    "loop under torch.no_grad()": ("""
def control_flow(a):
    with torch.no_grad():
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_gradient_matches_autograd", "test_gradient_is_f_over_a"], ["no_grad"]),
    "doubles a in place": ("""
def control_flow(a):
    b = a
    b *= 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b
""", ["test_input_not_modified", "test_gradient_matches_autograd"], ["same tensor"]),
}

ALTERNATIVES = {
    "a Python float scale": """
def control_flow(a):
    k = 2.0
    while (k * a).norm() < 1000:
        k = 2 * k
    if (k * a).sum() <= 0:
        k = 100 * k
    return k * a
""",
    "do-while": """
def control_flow(a):
    b = a
    while True:
        b = b * 2
        if not torch.linalg.vector_norm(b) < 1000:
            break
    return b if b.sum().item() > 0 else b * 100
""",
    "recursion": """
def control_flow(a):
    def grow(b):
        return grow(b * 2) if torch.sqrt((b * b).sum()) < 1000 else b
    b = grow(a * 2)
    return b if float(b.sum()) > 0 else 100 * b
""",
    "counting the doublings with log2": """
import math
def control_flow(a):
    n = math.sqrt(float((a * a).sum())) * 2
    k = max(0, math.ceil(math.log2(1000 / n)))
    b = a * 2 ** (k + 1)
    return b if b.sum() > 0 else 100 * b
""",
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_2_5_4)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
