"""ch07-pool2d's grader: reference full marks, stub zero, the book's listing loses only dtype and device, other sound
ways full marks, mistakes lose points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch07-pool2d"

# the listing of book 7.5.1, as printed (d2l.zeros is torch.zeros)
BOOK_7_5_1 = """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
"""
# the one change the lesson asks for
BOOK_ON_X_DEVICE = BOOK_7_5_1.replace("+ 1))", "+ 1), dtype=X.dtype, device=X.device)")


def book(old, new):
    assert BOOK_ON_X_DEVICE.count(old) == 1, old
    return BOOK_ON_X_DEVICE.replace(old, new)


MUTANTS = {
    "the book's listing (float32, on the CPU)": (BOOK_7_5_1, ["test_keeps_float64", "test_result_on_the_inputs_device"],
                                                 ["device=X.device"]),
    "average without dividing (a sum)": (book(".mean()", ".sum()"), ["test_avg_matches"], ["divides the window's sum"]),
    "mode ignored (always the max)": (book("elif mode == 'avg':\n                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()",
                                           "else:\n                Y[i, j] = X[i: i + p_h, j: j + p_w].max()"),
                                      ["test_avg_matches"], ["check the mode"]),
    "window's height and width swapped": (book("p_h, p_w = pool_size", "p_w, p_h = pool_size"),
                                          ["test_max_matches", "test_avg_matches"], ["swapped"]),
    "maximum started from zero": ("""
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y_h, Y_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    Y = torch.zeros((Y_h, Y_w), dtype=X.dtype, device=X.device)
    for a in range(p_h):
        for b in range(p_w):
            if mode == 'max':
                Y = torch.maximum(Y, X[a:a + Y_h, b:b + Y_w])
            else:
                Y = Y + X[a:a + Y_h, b:b + Y_w] / (p_h * p_w)
    return Y
""", ["test_max_matches"], ["negative maximum"]),
    "one row and column short": (book("+ 1, X.shape[1] - p_w + 1)", ", X.shape[1] - p_w)").replace(
        "X.shape[0] - p_h + 1,", "X.shape[0] - p_h,"), ["test_max_matches", "test_avg_matches"], ["short"]),
    ".item() cuts the graph": (book("].max()", "].max().item()").replace("].mean()", "].mean().item()"),
                               ["test_max_gradient", "test_avg_gradient"], ["cut the graph"]),
    "calls F.max_pool2d": ("""
import torch.nn.functional as F
def pool2d(X, pool_size, mode='max'):
    pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
    return pool(X[None, None], pool_size, stride=1)[0, 0]
""", ["test_written_from_scratch"], ["write yourself"]),
    "Tensor.unfold windows": ("""
def pool2d(X, pool_size, mode='max'):
    windows = X.unfold(0, pool_size[0], 1).unfold(1, pool_size[1], 1)
    return windows.amax((-2, -1)) if mode == 'max' else windows.mean((-2, -1))
""", ["test_written_from_scratch"], ["unfold"]),
    "a loop over every element of every window": ("""
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            best, total = X[i, j], 0
            for a in range(p_h):
                for b in range(p_w):
                    best = torch.maximum(best, X[i + a, j + b])
                    total = total + X[i + a, j + b]
            Y[i, j] = best if mode == 'max' else total / (p_h * p_w)
    return Y
""", ["test_speed"], ["reference solution", "every single element"]),
}


def test_book_listing_loses_only_dtype_and_device():
    report = grade_code(EX, BOOK_7_5_1)
    assert sorted(failed(report)) == ["test_keeps_float64", "test_result_on_the_inputs_device"], report.summary()
    assert report.score == 8.5, report.summary()


def test_book_listing_on_x_device_gets_full_marks():
    assert_full_marks(EX, BOOK_ON_X_DEVICE)


def test_stack_and_max_values_gets_full_marks():
    assert_full_marks(EX, """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y_h, Y_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    windows = torch.stack([X[a:a + Y_h, b:b + Y_w] for a in range(p_h) for b in range(p_w)])
    return windows.max(dim=0).values if mode == 'max' else windows.sum(dim=0) / (p_h * p_w)
""")


def test_maximum_chain_gets_full_marks():
    assert_full_marks(EX, """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y_h, Y_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    Y = X[:Y_h, :Y_w] if mode == 'max' else torch.zeros_like(X[:Y_h, :Y_w])
    for a in range(p_h):
        for b in range(p_w):
            S = X[a:a + Y_h, b:b + Y_w]
            Y = torch.maximum(Y, S) if mode == 'max' else Y + S
    return Y if mode == 'max' else Y / (p_h * p_w)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
