"""ch04-softmax's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch04-softmax"

BOOK_4_1 = """
def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition
"""

MUTANTS = {
    "book 4.1 code overflows": (BOOK_4_1, ["test_large_logits"], ["maximum", "4.5.2"]),
    "sums over columns": ("""
def softmax(X):
    X_exp = torch.exp(X - X.max())
    return X_exp / X_exp.sum(0, keepdim=True)
""", ["test_matches_torch_softmax", "test_rows_are"], ["columns"]),
    "no keepdim": ("""
def softmax(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1)
""", ["test_matches_torch_softmax"], ["keepdim"]),
    "forgot exp": ("""
def softmax(X):
    return X / X.sum(1, keepdim=True)
""", ["test_matches_torch_softmax"], ["exponential"]),
    "global sum": ("""
def softmax(X):
    X_exp = torch.exp(X - X.max())
    return X_exp / X_exp.sum()
""", ["test_matches_torch_softmax"], ["whole matrix"]),
    "modifies X in place": ("""
def softmax(X):
    X -= X.max(dim=1, keepdim=True).values
    X.exp_()
    return X / X.sum(1, keepdim=True)
""", ["test_input_not_modified"], ["in place"]),
    "calls torch.softmax": ("""
def softmax(X):
    return torch.softmax(X, dim=1)
""", ["test_written_from_scratch"], ["write yourself"]),
    "calls F.softmax through getattr": ("""
import torch.nn.functional as F
def softmax(X):
    return getattr(F, "soft" + "max")(X, dim=1)
""", ["test_written_from_scratch"], ["write yourself"]),
    "detaches the result": ("""
def softmax(X):
    X = X.detach()
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)
""", ["test_gradient"], ["autograd"]),
    "casts to float32": ("""
def softmax(X):
    X = X.float()
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)
""", ["test_float64"], ["dtype"]),
    "python loop over rows": ("""
def softmax(X):
    out = torch.empty_like(X)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            out[i, j] = torch.exp(X[i, j] - X[i].max()) / torch.exp(X[i] - X[i].max()).sum()
    return out
""", ["test_speed"], ["reference solution"]),
}



def test_book_stable_code_gets_full_marks():
    assert_full_marks(EX, """
def softmax(X):
    X_exp = torch.exp(X - X.max(1, keepdims=True).values)
    return X_exp / X_exp.sum(1, keepdims=True)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
