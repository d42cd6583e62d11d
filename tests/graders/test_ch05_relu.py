"""ch05-relu's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch05-relu"

# the book's listing (5.2.1), as printed: its gradient at exactly 0 is 0.5 (max splits a tie), which is accepted
BOOK_5_2 = """
def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)
"""

MUTANTS = {
    "min instead of max": ("""
def relu(X):
    return torch.min(X, torch.zeros_like(X))
""", ["test_matches_torch_relu", "test_gradient"], ["min(X, 0)", "POSITIVE"]),
    "absolute value": ("""
def relu(X):
    return X.abs()
""", ["test_matches_torch_relu"], ["|X|"]),
    "returns the mask": ("""
def relu(X):
    return (X > 0).float()
""", ["test_matches_torch_relu"], ["mask"]),
    "zeros without X's dtype": ("""
def relu(X):
    return torch.max(X, torch.zeros(X.shape, device=X.device))
""", ["test_keeps_the_dtype"], ["zeros_like", "float16"]),
    "zeros on the CPU": ("""
def relu(X):
    return torch.max(X, torch.zeros(X.shape, dtype=X.dtype))
""", ["test_result_on_the_inputs_device"], ["device"]),
    "zeroes X in place": ("""
def relu(X):
    X[X < 0] = 0
    return X
""", ["test_input_not_modified", "test_gradient"], ["in place", "autograd forbids"]),
    "clamp_ in place": ("""
def relu(X):
    return X.clamp_(min=0)
""", ["test_input_not_modified"], ["in place"]),
    "calls torch.relu": ("""
def relu(X):
    return torch.relu(X)
""", ["test_written_from_scratch"], ["write yourself"]),
    "F.threshold in disguise": ("""
import torch.nn.functional as F
def relu(X):
    return F.threshold(X, 0.0, 0.0)
""", ["test_written_from_scratch"], ["aten.threshold"]),
    "detaches": ("""
def relu(X):
    return torch.max(X, torch.zeros_like(X)).detach()
""", ["test_gradient", "test_any_subgradient"], ["not connected"]),
    "sqrt formula: NaN gradient at 0": ("""
def relu(X):
    return (X + torch.sqrt(X * X)) / 2
""", ["test_any_subgradient_at_zero"], ["[0, 1]", "0 by 0"]),
    "python loop over the entries": ("""
def relu(X):
    flat = X.reshape(-1)
    out = torch.zeros_like(flat)
    for i in range(flat.numel()):
        if flat[i] > 0:
            out[i] = flat[i]
    return out.reshape(X.shape)
""", ["test_speed"], ["reference solution", "python loop"]),
}

CORRECT = {
    "clamp": """
def relu(X):
    return X.clamp(min=0)
""",
    "mask product": """
def relu(X):
    return X * (X > 0)
""",
    "where with a scalar": """
def relu(X):
    return torch.where(X > 0, X, 0.0)
""",
    "(X + |X|) / 2": """
def relu(X):
    return (X + X.abs()) / 2
""",
    "maximum with a 0-dim zero": """
def relu(X):
    return torch.maximum(X, X.new_zeros(()))
""",
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_5_2)


def test_correct_alternatives_get_full_marks():
    for code in CORRECT.values():
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
