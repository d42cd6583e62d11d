"""ch07-corr2d_multi_in_out's grader: reference full marks, stub zero, the book's listing and other sound ways full
marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-corr2d_multi_in_out"

# the listing of book 7.4.2, as printed
BOOK_7_4_2 = """
def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
"""

MUTANTS = {
    "torch.cat instead of torch.stack": ("""
def corr2d_multi_in_out(X, K):
    return torch.cat([corr2d_multi_in(X, k) for k in K], 0)
""", ["test_matches_conv2d", "test_output_shape"], ["torch.cat"]),
    "stacked along the last dimension": ("""
def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], -1)
""", ["test_matches_conv2d", "test_output_shape"], ["dimension 0"]),
    "output channels added up": ("""
def corr2d_multi_in_out(X, K):
    return sum(corr2d_multi_in(X, k) for k in K)
""", ["test_matches_conv2d", "test_output_shape"], ["keep the output channels apart"]),
    "iterates over K's input channels": ("""
def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K.transpose(0, 1)], 0)
""", ["test_matches_conv2d"], ["K[o]"]),
    "rebuilds the result with torch.tensor": ("""
def corr2d_multi_in_out(X, K):
    return torch.tensor([corr2d_multi_in(X, k).tolist() for k in K])
""", ["test_gradient", "test_keeps_float64", "test_result_on_the_inputs_device"], ["dtype", "device=X.device"]),
    "fills a torch.zeros made on the CPU": ("""
def corr2d_multi_in_out(X, K):
    Y = torch.zeros((K.shape[0], X.shape[1] - K.shape[2] + 1, X.shape[2] - K.shape[3] + 1))
    for o in range(K.shape[0]):
        Y[o] = corr2d_multi_in(X, K[o])
    return Y
""", ["test_keeps_float64", "test_result_on_the_inputs_device"], ["device=X.device"]),
    "calls F.conv2d": ("""
import torch.nn.functional as F
def corr2d_multi_in_out(X, K):
    return F.conv2d(X[None], K)[0]
""", ["test_written_from_scratch"], ["write yourself"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_7_4_2)


def test_preallocated_like_x_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in_out(X, K):
    Y = torch.zeros((K.shape[0], X.shape[1] - K.shape[2] + 1, X.shape[2] - K.shape[3] + 1), dtype=X.dtype,
                    device=X.device)
    for o in range(K.shape[0]):
        Y[o] = corr2d_multi_in(X, K[o])
    return Y
""")


def test_unsqueeze_and_cat_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in_out(X, K):
    outputs = []
    for o in range(len(K)):
        outputs.append(corr2d_multi_in(X, K[o]).unsqueeze(0))
    return torch.cat(outputs, dim=0)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
