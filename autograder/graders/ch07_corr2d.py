"""Grader for ch07-corr2d: `corr2d(X, K)`, the 2-D cross-correlation of an input with a kernel (book 7.2)."""

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape,
                               first_matching_hint, seeded)
from autograder.recipe import Recipe

_CONV = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "convolution", "_convolution", "conv_tbc"]
# "unfold" is both F.unfold (im2col) and Tensor.unfold (sliding windows): either cuts out the windows
BANNED = {"functions": _CONV + ["unfold", "fold", "im2col", "col2im"],
          "aten": _CONV + ["_convolution_mode", "convolution_overrideable", "cudnn_convolution",
                           "mkldnn_convolution", "miopen_convolution", "_slow_conv2d_forward", "thnn_conv2d",
                           "_nnpack_spatial_convolution", "_conv_depthwise2d", "conv_depthwise3d",
                           "slow_conv3d", "im2col", "col2im", "unfold"]}
DEVICE_HINT = ("torch.zeros((...)) (the book's listing) always makes Y as float32 on the CPU. Make it like X: "
               "torch.zeros((...), dtype=X.dtype, device=X.device), and keep the values as tensors "
               "(no .item() or float()).")
FLIP_HINT = ("you flipped the kernel: that is the convolution of signal processing. corr2d, like every "
             "convolutional layer in deep learning, computes the cross-correlation: "
             "Y[i, j] = (X[i:i + h, j:j + w] * K).sum(), with K as it is (book 7.2.1).")
VALUE_HINT = ("Y[i, j] is the elementwise product of the window X[i:i + h, j:j + w] with K, summed "
              "(h, w = K.shape).")
WINDOW_HINT = ("a window must have K's shape: X[i:i + h, j:j + w] with h, w = K.shape (h rows, w columns); "
               "check your loops with a kernel that is not square.")
SHAPE_HINT = "Y has shape (X.shape[0] - h + 1, X.shape[1] - w + 1) with h, w = K.shape."


def xcorr(X, K):
    """torch's own cross-correlation (conv2d does not flip), in float64: a GPU's TF32 convolutions would
    make the expected values less exact than the answers they judge."""
    return F.conv2d(X[None, None].double(), K[None, None].double())[0, 0].to(X.dtype)


def out_shape(X, K):
    return (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)


def diagnose(X, K, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    (n_h, n_w), (k_h, k_w) = X.shape, K.shape
    if not isinstance(got, torch.Tensor):
        return "return the tensor Y."
    shape = tuple(got.shape)
    if shape != out_shape(X, K):
        if shape == (n_h - k_h, n_w - k_w):
            return ("one row and one column short: the kernel fits in n_h - k_h + 1 positions down and "
                    "n_w - k_w + 1 across (the + 1 counts the position at offset 0).")
        if shape == (n_h - k_w + 1, n_w - k_h + 1):
            return ("you swapped the kernel's height and width: h, w = K.shape gives h rows (K.shape[0]) and "
                    "w columns (K.shape[1]).")
        return SHAPE_HINT
    return first_matching_hint(got, {
        FLIP_HINT: [lambda: xcorr(X, K.flip(0, 1)), lambda: xcorr(X, K.flip(0)), lambda: xcorr(X, K.flip(1))],
        "you averaged the products (mean); corr2d sums them: (X[i:i + h, j:j + w] * K).sum().":
            lambda: xcorr(X, K).double() / (k_h * k_w),
    }, default=VALUE_HINT, rtol=1e-4, atol=1e-5)


def error_hint(e: StudentError) -> str:
    """The hint for an error raised by corr2d: a shape error is mostly a window cut with h and w swapped."""
    if "device" in e.message.lower():
        return DEVICE_HINT
    if any(w in e.message for w in ("size of tensor", "shape", "broadcast", "non-negative")):
        return WINDOW_HINT
    return VALUE_HINT


def run(student, X, K, call, **kw):
    try:
        return student.run(X, K, **kw)
    except StudentError as e:
        as_mistake(e, call, error_hint(e))


def check_values(args, got, call):
    X, K = args
    expect_close(got, xcorr(X, K), call, lambda: diagnose(X, K, got))


def check(student, X, K, call):
    """One call, described as `call` (where about() would say too little), and its values."""
    check_values((X, K), run(student, X, K, call).value, call)


def about(X, K):
    return f"corr2d(X, K) for X of shape {tuple(X.shape)} and K of shape {tuple(K.shape)}"


recipe = Recipe(about, check_values, error_hint=error_hint)

# Gradients, device, from-scratch and speed count only for a correct result: a fast, library-free wrong answer
# earns nothing.

test_matches_conv2d = recipe.values(
    2, lambda d: (seeded(6, 7, device=d), seeded(2, 3, device=d, seed=1)),
    lambda d: (seeded(7, 5, device=d, seed=2), seeded(3, 2, device=d, seed=3)))


@pytest.mark.points(1)
def test_output_shape(student, device):
    for xs, ks in [((5, 8), (2, 3)), ((8, 5), (3, 2)), ((4, 9), (4, 1)), ((9, 4), (1, 3))]:
        X, K = seeded(*xs, device=device, seed=4), seeded(*ks, device=device, seed=5)
        got = run(student, X, K, about(X, K)).value
        expect_shape(got, out_shape(X, K), about(X, K), lambda: diagnose(X, K, got))


@pytest.mark.points(1.5)
def test_edge_cases(student, device):
    X, K = seeded(4, 5, device=device, seed=6), seeded(1, 1, device=device, seed=7)
    check(student, X, K, about(X, K) + " (a 1 x 1 kernel scales X)")
    X, K = seeded(5, 3, device=device, seed=8), seeded(5, 3, device=device, seed=9)
    check(student, X, K, about(X, K) + " (a kernel as large as X: one output, (X * K).sum())")
    X = torch.ones(6, 8, device=device)
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]], device=device)
    check(student, X, K, "corr2d(X, K) for the edge detector of book 7.2.3 (K = [[1, -1]])")
    X, K = seeded(1, 6, device=device, seed=10), seeded(1, 4, device=device, seed=11)
    check(student, X, K, about(X, K) + " (a single row)")


@pytest.mark.points(1)
@pytest.mark.parametrize("wrt", ["X", "K"])
def test_gradient(student, device, wrt):
    # both X and K require grad, each scored on its own: a kernel cut off the graph shows as "no gradient
    # reached K" (and the X half still earns its point)
    X, K = seeded(5, 7, device=device, seed=12), seeded(3, 2, device=device, seed=13)
    G = seeded(*out_shape(X, K), device=device, seed=14)
    call = about(X, K)
    recipe.checked(student, (X, K), requires_grad=[0, 1])
    got = dict(zip("XK", expect_backward(student, [G], call,
                                         "build Y from X and K with differentiable torch operations; "
                                         "torch.tensor(...), .item(), float() or .detach() cut the graph.").args))
    Xd, Kd = X.double().requires_grad_(True), K.double().requires_grad_(True)
    F.conv2d(Xd[None, None], Kd[None, None])[0, 0].backward(G.double())
    expected = {"X": Xd.grad.to(X.dtype), "K": Kd.grad.to(K.dtype)}
    if got[wrt] is None:
        raise Mistake(f"no gradient reached {wrt} through {call}.",
                      f"Y must be computed from {wrt} with torch operations: a convolutional layer learns K "
                      "this way. Do not detach, copy into Python numbers or rebuild a tensor from them.")
    expect_close(got[wrt], expected[wrt], f"the gradient of {call} with respect to {wrt}",
                 "Y[i, j] depends on X[i + a, j + b] through K[a, b] and nothing else.", check_dtype=False)


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    X = seeded(6, 5, dtype=torch.float64, device=device, seed=15)
    K = seeded(2, 2, dtype=torch.float64, device=device, seed=16)
    call = about(X, K) + " in float64"
    got = run(student, X, K, call).value
    expect_shape(got, out_shape(X, K), call, lambda: diagnose(X, K, got))
    if got.dtype != torch.float64:
        raise Mistake(f"{call} returned dtype {got.dtype}; Y should have X's dtype (float64).", DEVICE_HINT)
    check_values((X, K), got, call)


# "meta" tensors have a device but no data: a Y made on the CPU cannot take their values, exactly as it
# cannot take a GPU's, so this runs on a CPU-only machine too.
test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(7, 9, device="meta"), torch.empty(3, 4, device="meta")),
    real_inputs=lambda d: (seeded(6, 7, device=d, seed=17), seeded(2, 3, device=d, seed=18)),
    hint=DEVICE_HINT, shape=(5, 6))
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (seeded(6, 7, device=d, seed=19), seeded(3, 2, device=d, seed=20)), BANNED,
    hint="slice the windows and multiply by K yourself; F.conv2d, nn.Conv2d, F.unfold and Tensor.unfold are "
         "what this exercise builds.")
# Small enough that the book's loop over the 8 x 9 output positions stays within the threshold (about 3x the
# reference's loop over 5 x 6 kernel offsets); a loop over every product is ~80x.
test_speed_against_reference = recipe.speed(
    1, lambda d: (seeded(12, 14, device=d, seed=21), seeded(5, 6, device=d, seed=22)),
    hint="loop over output positions at most (the book's listing), not over every single product; faster "
         "still: loop over the kernel's offsets and add shifted slices of X, "
         "Y = sum over a, b of X[a:a + Y_h, b:b + Y_w] * K[a, b].")
