"""Grader for ch07-corr2d_multi_in_out_1x1: `corr2d_multi_in_out_1x1(X, K)` for X (c_i, h, w) and K (c_o, c_i, 1, 1),
the 1 x 1 convolution as one matrix product: Y = K (c_o, c_i) @ X (c_i, h * w), reshaped to (c_o, h, w)
(book 7.4.3).

The truth is F.conv2d in float64, which is also what the general corr2d_multi_in_out gives (the book's own check
compares the two). The speed test is the lesson's point: a 1 x 1 convolution is a fully connected layer applied at
every pixel, one matrix product, far faster than c_o * c_i calls of corr2d.
"""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_shape, first_matching_hint,
                               seeded)
from autograder.graders.common.conv import CONV_BANNED, DEVICE_HINT, xcorr
from autograder.recipe import Recipe

MATMUL_HINT = ("reshape X to (c_i, h * w) and K to (c_o, c_i), multiply, Y = K @ X (c_o, h * w), and reshape Y to "
               "(c_o, h, w): output pixel p of channel o is sum over i of K[o, i] * X[i, p].")
SQUEEZE_HINT = ("K.squeeze() removes every dimension of size 1, c_o or c_i too when one of them is 1: reshape to the "
                "shape you mean, K.reshape(c_o, c_i) (and X.reshape(c_i, h * w)).")


def diagnose(X, K, got) -> str:
    if not isinstance(got, torch.Tensor):
        return MATMUL_HINT
    if got.dtype != X.dtype:
        return DEVICE_HINT
    c_i, h, w = X.shape
    c_o = K.shape[0]
    if tuple(got.shape) != (c_o, h, w):
        if tuple(got.shape) == (c_o, w, h):
            return "the output has X's height and width, in that order: Y.reshape(c_o, h, w)."
        if tuple(got.shape) == (c_o, h * w):
            return "reshape the product back to (c_o, h, w)."
        return MATMUL_HINT
    x, k = X.double(), K.double()
    return first_matching_hint(got, {
        "X.reshape(h * w, c_i) (or X.T) reads the numbers in the wrong order: X is stored channel by channel, so "
        "X.reshape(c_i, h * w) keeps each channel's pixels in one row; permute first if you want pixels as rows "
        "(X.permute(1, 2, 0).reshape(h * w, c_i)).":
            lambda: (x.reshape(h * w, c_i) @ k.reshape(c_o, c_i).T).T.reshape(c_o, h, w),
        "K.reshape(c_i, c_o) reads K's numbers in the wrong order: K is (c_o, c_i, 1, 1), so K.reshape(c_o, c_i) "
        "(transposed with .T where you need (c_i, c_o)).":
            lambda: (k.reshape(c_i, c_o).T @ x.reshape(c_i, h * w)).reshape(c_o, h, w),
        "Y (c_o, h * w) reshapes directly to (c_o, h, w); a transpose on the way scrambles the pixels.":
            lambda: (k.reshape(c_o, c_i) @ x.reshape(c_i, h * w)).reshape(c_o, w, h).transpose(1, 2),
    }, default=MATMUL_HINT)


def about(X, K):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"corr2d_multi_in_out_1x1(X, K) for {dtype}X of shape {tuple(X.shape)} and K of shape {tuple(K.shape)}"


def check_values(args, got, call):
    X, K = args
    expect_close(got, xcorr(X, K), call, lambda: diagnose(X, K, got))


def error_hint(e: StudentError):
    if "device" in e.message.lower() or "meta" in e.message.lower():
        return DEVICE_HINT
    if any(w in e.message for w in ("size", "shape", "dimension", "mat1", "mat2", "broadcast")):
        return SQUEEZE_HINT + " " + MATMUL_HINT
    return None


def args(c_o, c_i, hw, seed, device, dtype=torch.float32):
    return (seeded(c_i, *hw, seed=seed, dtype=dtype, device=device),
            seeded(c_o, c_i, 1, 1, seed=seed + 1, dtype=dtype, device=device))


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_conv2d = recipe.values(
    2.5, lambda d: args(2, 3, (3, 3), 0, d), lambda d: args(3, 4, (5, 6), 2, d), lambda d: args(6, 2, (4, 7), 4, d))
test_agrees_with_the_general_case = recipe.values(
    1, lambda d: args(2, 3, (3, 3), 6, d))   # the book's check: equal to corr2d_multi_in_out(X, K)
test_one_channel_in_or_out = recipe.values(
    1.5, lambda d: args(1, 4, (3, 5), 8, d),   # one output channel
    lambda d: args(3, 1, (4, 2), 10, d),       # one input channel
    lambda d: args(1, 1, (2, 3), 12, d),       # one of each: K is a single number
    lambda d: args(2, 3, (1, 6), 14, d))       # a single row
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: args(3, 4, (3, 5), 16, d, torch.float64), truth=xcorr, wrt=(0, 1), names=["X", "K"],
    hint="reshape and matmul are differentiable; torch.tensor(...), .item() or .detach() cut the graph.")


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    X, K = args(2, 3, (4, 4), 18, device, torch.float64)
    try:
        got = student(X, K)
    except StudentError as e:
        as_mistake(e, about(X, K), error_hint(e) or MATMUL_HINT)
    expect_shape(got, (2, 4, 4), about(X, K), lambda: diagnose(X, K, got))
    if got.dtype != torch.float64:
        raise Mistake(f"{about(X, K)} returned dtype {got.dtype}; keep X's dtype (float64).", DEVICE_HINT)
    check_values((X, K), got, about(X, K))


test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(3, 4, 5, device="meta"), torch.empty(2, 3, 1, 1, device="meta")),
    real_inputs=lambda d: args(2, 3, (4, 5), 20, d), hint=DEVICE_HINT, shape=(2, 4, 5))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: args(3, 2, (4, 4), 22, d), names=["X", "K"],
    hint="reshape and matmul make new tensors; in-place methods (X.mul_, Y.copy_ into X, ...) change the caller's.")
test_written_from_scratch = recipe.from_scratch(
    0.5, lambda d: args(3, 4, (5, 5), 24, d), CONV_BANNED,
    hint="a 1 x 1 convolution is a matrix product: reshape and use @ (torch.matmul); F.conv2d and nn.Conv2d are "
         "what this lesson builds.")
# c_o * c_i = 1024 corr2d calls for the general code (tens of milliseconds), one small matrix product for the
# reference: even a reference call slowed down a hundredfold by a busy machine leaves the general code far over
# the threshold. A loop over the output channels, or broadcasting (K * X[None]).sum(1), stays well within it.
test_speed_against_reference = recipe.speed(
    1, lambda d: args(4, 256, (8, 8), 26, d),
    hint="do not loop over channels calling corr2d (that is the general corr2d_multi_in_out, c_o * c_i calls): "
         + MATMUL_HINT)
