"""ch05-dropout_layer's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import failed, standard_proofs
from autograder.grade import grade_code

EX = "ch05-dropout_layer"

BOOK_5_6 = """
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)
"""

MUTANTS = {
    "keeps with probability p (< instead of >)": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) < dropout).float()
    return mask * X / (1.0 - dropout)
""", ["test_keep_rate_and_scaling[0.2]", "test_keep_rate_and_scaling[0.8]"], ["probability 1 - dropout"]),
    "forgets to rescale": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return mask * X
""", ["test_keep_rate_and_scaling"], ["divide the kept elements by (1 - dropout)"]),
    "p = 1 divides by zero": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return mask * X / (1.0 - dropout)
""", ["test_dropout_one_gives_zeros"], ["NaN"]),
    "no range check": ("""
def dropout_layer(X, dropout):
    if dropout >= 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return mask * X / (1.0 - dropout)
""", ["test_invalid_probability_raises"], ["should raise"]),
    "drops in place": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = torch.rand(X.shape, device=X.device) > dropout
    X[~mask] = 0
    X /= (1.0 - dropout)
    return X
""", ["test_input_not_modified"], ["in place"]),
    "fixed seed inside": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    g = torch.Generator(device=X.device).manual_seed(0)
    mask = (torch.rand(X.shape, generator=g, device=X.device) > dropout).float()
    return mask * X / (1.0 - dropout)
""", ["test_mask_is_random"], ["afresh"]),
    "calls F.dropout": ("""
import torch.nn.functional as F
def dropout_layer(X, dropout):
    return F.dropout(X, dropout, training=True)
""", ["test_written_from_scratch"], ["write yourself"]),
    "detaches the mask product": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return (mask * X / (1.0 - dropout)).detach()
""", ["test_gradient"], ["autograd"]),
    "python loop": ("""
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    out = torch.zeros_like(X)
    for i in range(X.shape[0]):
        for j in range(0, X.shape[1], 16):
            keep = (torch.rand(X[i, j:j + 16].shape, device=X.device) > dropout).to(X.dtype)
            out[i, j:j + 16] = keep * X[i, j:j + 16] / (1.0 - dropout)
    return out
""", ["test_speed"], ["reference solution"]),
}



def test_book_code_loses_only_the_device_check():
    report = grade_code(EX, BOOK_5_6)
    lost = failed(report)
    assert list(lost) == ["test_mask_made_on_the_input_device"], report.summary()
    assert "device=X.device" in lost["test_mask_made_on_the_input_device"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
