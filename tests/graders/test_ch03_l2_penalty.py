"""ch03-l2_penalty's grader: reference full marks, stub zero, the book's listing and other sound formulas full
marks, every realistic mistake loses points with a message that names it."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch03-l2_penalty"

# book 3.7.3 (PyTorch tab: d2l.reduce_sum is torch.sum)
BOOK_3_7_3 = """
def l2_penalty(w):
    return torch.sum(w**2) / 2
"""

ALTERNATIVES = {
    "product with itself": "def l2_penalty(w):\n    return (w * w).sum() * 0.5\n",
    "the squared norm": "def l2_penalty(w):\n    return 0.5 * torch.linalg.norm(w) ** 2\n",
    "Tensor.norm": "def l2_penalty(w):\n    return w.norm() ** 2 / 2\n",
    "dot product of the flattened weights":
        "def l2_penalty(w):\n    v = w.reshape(-1)\n    return torch.dot(v, v) / 2\n",
    "pow and div": "def l2_penalty(w):\n    return w.pow(2).sum().div(2)\n",
}

MUTANTS = {
    "forgot the 1/2": ("def l2_penalty(w):\n    return (w ** 2).sum()\n",
                       ["test_matches", "test_gradient"], ["1/2 is missing"]),
    "the norm, not its square": ("def l2_penalty(w):\n    return torch.norm(w) / 2\n",
                                 ["test_matches"], ["its square"]),
    "mean instead of sum": ("def l2_penalty(w):\n    return (w ** 2).mean() / 2\n",
                            ["test_matches"], ["averaged"]),
    "square of the sum": ("def l2_penalty(w):\n    return w.sum() ** 2 / 2\n",
                          ["test_matches"], ["squared the sum"]),
    "w.T @ w, a (1, 1) matrix": ("def l2_penalty(w):\n    return w.T @ w / 2\n",
                                 ["test_matches", "test_returns_a_scalar"], ["w.T @ w"]),
    "no sum": ("def l2_penalty(w):\n    return w ** 2 / 2\n",
               ["test_matches", "test_returns_a_scalar"], ["element by element"]),
    "sum over one dimension": ("def l2_penalty(w):\n    return (w ** 2).sum(dim=0) / 2\n",
                               ["test_matches", "test_returns_a_scalar"], ["0-dim"]),
    "returns a Python float": ("def l2_penalty(w):\n    return (w ** 2).sum().item() / 2\n",
                               ["test_matches", "test_gradient"], ["expected a tensor"]),
    "squares w in place": ("def l2_penalty(w):\n    return w.pow_(2).sum() / 2\n",
                           ["test_input_not_modified"], ["in place", "pow_"]),
    "casts to float32": ("def l2_penalty(w):\n    return (w.float() ** 2).sum() / 2\n",
                         ["test_float64"], ["dtype"]),
    "l1 penalty": ("def l2_penalty(w):\n    return w.abs().sum() / 2\n", ["test_matches"], ["l1"]),
    "total started on the CPU": ("""
def l2_penalty(w):
    total = torch.zeros(1)
    total += (w ** 2).sum() / 2
    return total[0]
""", ["test_result_on_the_inputs_device"], ["device"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_3_7_3)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_sound_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
