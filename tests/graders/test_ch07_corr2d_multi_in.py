"""ch07-corr2d_multi_in's grader: reference full marks, stub zero, the book's listing and other sound ways full marks,
mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-corr2d_multi_in"

# the listing of book 7.4.1, as printed
BOOK_7_4_1 = """
def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them up
    return sum(corr2d(x, k) for x, k in zip(X, K))
"""

MUTANTS = {
    "stacks the channels instead of adding them": ("""
def corr2d_multi_in(X, K):
    return torch.stack([corr2d(x, k) for x, k in zip(X, K)])
""", ["test_matches_conv2d", "test_book_example"], ["one output per channel"]),
    "mean over the channels": ("""
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K)) / X.shape[0]
""", ["test_matches_conv2d", "test_book_example"], ["averaged"]),
    "first channel only": ("""
def corr2d_multi_in(X, K):
    return corr2d(X[0], K[0])
""", ["test_matches_conv2d", "test_book_example"], ["every channel counts"]),
    "every channel with every kernel": ("""
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x in X for k in K)
""", ["test_matches_conv2d", "test_book_example"], ["its own kernel"]),
    "channels summed before correlating": ("""
def corr2d_multi_in(X, K):
    return corr2d(X.sum(0), K.sum(0))
""", ["test_matches_conv2d", "test_book_example"], ["channel sums"]),
    "accumulator made with torch.zeros on the CPU": ("""
def corr2d_multi_in(X, K):
    Y = torch.zeros((X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1))
    for x, k in zip(X, K):
        Y += corr2d(x, k)
    return Y
""", ["test_keeps_float64", "test_result_on_the_inputs_device"], ["device=X.device"]),
    "rebuilds the result with torch.tensor": ("""
def corr2d_multi_in(X, K):
    return torch.tensor(sum(corr2d(x, k) for x, k in zip(X, K)).tolist(), dtype=X.dtype, device=X.device)
""", ["test_gradient"], ["cut the graph"]),
    "calls F.conv2d": ("""
import torch.nn.functional as F
def corr2d_multi_in(X, K):
    return F.conv2d(X[None], K[None])[0, 0]
""", ["test_written_from_scratch"], ["write yourself"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_7_4_1)


def test_stack_and_sum_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in(X, K):
    return torch.stack([corr2d(X[i], K[i]) for i in range(X.shape[0])]).sum(dim=0)
""")


def test_loop_from_zeros_like_x_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in(X, K):
    Y = torch.zeros((X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1), dtype=X.dtype, device=X.device)
    for i in range(len(X)):
        Y = Y + corr2d(X[i], K[i])
    return Y
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
