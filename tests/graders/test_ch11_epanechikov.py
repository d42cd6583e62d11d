"""ch11-epanechikov's grader: reference full marks, the book's listing full marks, stub zero, every realistic
mistake loses points with a message that names it."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch11-epanechikov"

BOOK_11_2 = """
def epanechikov(x):
    return torch.max(1 - torch.abs(x), torch.zeros_like(x))
"""

ALTERNATIVES = {
    "clamp": "def epanechikov(x):\n    return torch.clamp(1 - x.abs(), min=0)\n",
    "relu": "def epanechikov(x):\n    return torch.relu(1 - x.abs())\n",
    "where with a Python zero": "def epanechikov(x):\n    return torch.where(x.abs() < 1, 1 - x.abs(), 0.0)\n",
    "boxcar times triangle": "def epanechikov(x):\n    return (x.abs() < 1).to(x.dtype) * (1 - x.abs())\n",
    "maximum with a 0-dim tensor": "def epanechikov(x):\n    return torch.maximum(1 - x.abs(), torch.tensor(0.0))\n",
    "masked assignment on a new tensor": """
def epanechikov(x):
    k = 1 - x.abs()
    k[k < 0] = 0
    return k
""",
}

MUTANTS = {
    "no clamp at zero": ("def epanechikov(x):\n    return 1 - torch.abs(x)\n",
                         ["test_values_on_a_grid", "test_matrices"], ["negative weights"]),
    "forgot the absolute value": ("def epanechikov(x):\n    return torch.clamp(1 - x, min=0)\n",
                                  ["test_values_on_a_grid", "test_matrices"], ["symmetric"]),
    "the statistics textbook's Epanechikov": (
        "def epanechikov(x):\n    return torch.clamp(0.75 * (1 - x ** 2), min=0)\n",
        ["test_values_on_a_grid", "test_matrices"], ["3/4", "triangle"]),
    "Python max and abs": ("def epanechikov(x):\n    return max(0, 1 - abs(x))\n",
                           ["test_values_on_a_grid", "test_matrices"], ["single numbers"]),
    "torch.max(t, 0) reduces": ("def epanechikov(x):\n    return torch.max(1 - torch.abs(x), 0)\n",
                                ["test_values_on_a_grid"], ["reduces over dimension 0"]),
    "boxcar instead": ("def epanechikov(x):\n    return (x.abs() < 1).to(x.dtype)\n",
                       ["test_values_on_a_grid"], ["boxcar"]),
    "casts to float32": ("def epanechikov(x):\n    return torch.clamp(1 - x.abs(), min=0).float()\n",
                         ["test_float64"], ["dtype"]),
    "changes x in place": ("def epanechikov(x):\n    x.abs_()\n    return torch.clamp(1 - x, min=0)\n",
                           ["test_input_not_modified"], ["in place", "x.abs_()"]),
    "zeros made on the CPU": (
        "def epanechikov(x):\n    return torch.max(1 - torch.abs(x), torch.zeros(x.shape, dtype=x.dtype))\n",
        ["test_result_on_the_inputs_device"], ["zeros_like"]),
    "detaches": ("def epanechikov(x):\n    return torch.clamp(1 - x.detach().abs(), min=0)\n",
                 ["test_gradient"], ["differentiable"]),
    "Python loop over the elements": ("""
def epanechikov(x):
    flat = x.reshape(-1)
    return torch.stack([torch.clamp(1 - v.abs(), min=0) for v in flat]).reshape(x.shape)
""", ["test_speed"], ["reference solution", "looping"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_2)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
