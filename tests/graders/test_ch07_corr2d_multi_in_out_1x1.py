"""ch07-corr2d_multi_in_out_1x1's grader: reference full marks, stub zero, the book's listing and other sound matrix
products full marks, mistakes lose points (the general loop loses the speed test)."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-corr2d_multi_in_out_1x1"

# the listing of book 7.4.3, as printed (d2l.reshape and d2l.matmul are torch's)
BOOK_7_4_3 = """
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
"""


def book(old, new):
    assert BOOK_7_4_3.count(old) == 1, old
    return BOOK_7_4_3.replace(old, new)


MUTANTS = {
    "pixels as rows by reshape": (book("X = X.reshape((c_i, h * w))", "X = X.reshape((h * w, c_i)).T"),
                                  ["test_matches_conv2d"], ["wrong order"]),
    "K reshaped to (c_i, c_o)": (book("K = K.reshape((c_o, c_i))", "K = K.reshape((c_i, c_o)).T"),
                                 ["test_matches_conv2d"], ["K's numbers in the wrong order"]),
    "squeeze instead of reshape": (book("K = K.reshape((c_o, c_i))", "K = K.squeeze()"),
                                   ["test_one_channel_in_or_out"], ["squeeze"]),
    "height and width swapped at the end": (book("return Y.reshape((c_o, h, w))", "return Y.reshape((c_o, w, h))"),
                                            ["test_matches_conv2d"], ["in that order"]),
    "no reshape back": (book("return Y.reshape((c_o, h, w))", "return Y"), ["test_matches_conv2d"],
                        ["reshape the product back"]),
    "the general loop (corr2d_multi_in_out)": ("""
def corr2d_multi_in_out_1x1(X, K):
    return corr2d_multi_in_out(X, K)
""", ["test_speed_against_reference"], ["reference solution", "K @ X"]),
    "calls F.conv2d": ("""
import torch.nn.functional as F
def corr2d_multi_in_out_1x1(X, K):
    return F.conv2d(X[None], K)[0]
""", ["test_written_from_scratch"], ["write yourself"]),
    "detaches the product": (book("Y = torch.matmul(K, X)", "Y = torch.matmul(K, X).detach()"),
                             ["test_gradient"], ["cut the graph"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_7_4_3)


def test_einsum_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in_out_1x1(X, K):
    return torch.einsum("oi,ihw->ohw", K[:, :, 0, 0], X)
""")


def test_broadcasting_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in_out_1x1(X, K):
    return (K * X[None]).sum(dim=1)
""")


def test_loop_over_output_channels_gets_full_marks():
    assert_full_marks(EX, """
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    pixels = X.reshape(c_i, h * w)
    return torch.stack([(k.reshape(1, c_i) @ pixels).reshape(h, w) for k in K])
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
