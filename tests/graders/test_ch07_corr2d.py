"""ch07-corr2d's grader: reference full marks, stub zero, the book's listing loses only dtype and device,
every classic mistake loses points."""
from .proving import assert_full_marks, failed, solution_cell, standard_proofs
from autograder.grade import grade_code

EX = "ch07-corr2d"

BOOK_7_2 = """
def corr2d(X, K):  #@save
    \"\"\"Compute 2D cross-correlation.\"\"\"
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""
# the one change the lesson asks for
BOOK_ON_X_DEVICE = BOOK_7_2.replace("+ 1))", "+ 1), dtype=X.dtype, device=X.device)")

MUTANTS = {
    "flipped kernel (true convolution)": ("""
def corr2d(X, K):
    return __ref(X, K.flip(0, 1))
""", ["test_matches_conv2d", "test_edge_cases"], ["flipped", "cross-correlation"]),
    "output one short": ("""
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h, X.shape[1] - w), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
""", ["test_matches_conv2d", "test_output_shape"], ["+ 1"]),
    "height and width swapped": ("""
def corr2d(X, K):
    w, h = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
""", ["test_matches_conv2d", "test_output_shape"], ["K.shape"]),
    "mean instead of sum": ("""
def corr2d(X, K):
    return __ref(X, K) / K.numel()
""", ["test_matches_conv2d"], ["mean"]),
    "book listing with .item()": (BOOK_ON_X_DEVICE.replace(".sum()", ".sum().item()"),
                                  ["test_gradient[X]", "test_gradient[K]", "test_result_on"], ["graph"]),
    "kernel detached": ("""
def corr2d(X, K):
    return __ref(X, K.detach())
""", ["test_gradient[K]"], ["no gradient reached K"]),
    "casts to float32": ("""
def corr2d(X, K):
    return __ref(X.float(), K.float())
""", ["test_keeps_float64"], ["dtype"]),
    "Y made on the CPU with X's dtype": (BOOK_7_2.replace("+ 1))", "+ 1), dtype=X.dtype)"),
                                         ["test_result_on"], ["device=X.device"]),
    "calls F.conv2d": ("""
import torch.nn.functional as F
def corr2d(X, K):
    return F.conv2d(X[None, None], K[None, None])[0, 0]
""", ["test_written_from_scratch"], ["write yourself"]),
    "nn.Conv2d with K as its weight": ("""
def corr2d(X, K):
    layer = torch.nn.Conv2d(1, 1, tuple(K.shape), bias=False).to(X.device, X.dtype)
    del layer.weight
    layer.weight = K[None, None]
    return layer(X[None, None])[0, 0]
""", ["test_written_from_scratch"], ["aten.convolution"]),
    "F.unfold (im2col)": ("""
import torch.nn.functional as F
def corr2d(X, K):
    h, w = K.shape
    cols = F.unfold(X[None, None], (h, w))[0]
    return (K.reshape(1, -1) @ cols).reshape(X.shape[0] - h + 1, X.shape[1] - w + 1)
""", ["test_written_from_scratch"], ["unfold"]),
    "Tensor.unfold windows": ("""
def corr2d(X, K):
    h, w = K.shape
    return (X.unfold(0, h, 1).unfold(1, w, 1) * K).sum((-2, -1))
""", ["test_written_from_scratch"], ["unfold"]),
    "loop over every product": ("""
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            for a in range(h):
                for b in range(w):
                    Y[i, j] += X[i + a, j + b] * K[a, b]
    return Y
""", ["test_speed"], ["reference solution", "single product"]),
}

# mutants that change one thing in the reference call it under a name students cannot guess
REF = solution_cell("source", EX).replace("def corr2d(", "def __ref(")


def test_book_listing_loses_only_dtype_and_device():
    report = grade_code(EX, BOOK_7_2)
    assert sorted(failed(report)) == ["test_keeps_float64", "test_result_on_the_inputs_device"], report.summary()
    assert report.score == 8.5, report.summary()
    assert "device=X.device" in failed(report)["test_result_on_the_inputs_device"]


def test_book_listing_on_x_device_gets_full_marks():
    assert_full_marks(EX, BOOK_ON_X_DEVICE)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS, prepare=lambda code: REF + code if "__ref" in code else code)
