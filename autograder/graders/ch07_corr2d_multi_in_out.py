"""Grader for ch07-corr2d_multi_in_out: `corr2d_multi_in_out(X, K)` for X (c_i, n_h, n_w) and K (c_o, c_i, k_h, k_w):
one corr2d_multi_in per output channel, stacked into a (c_o, out_h, out_w) result (book 7.4.2).

It runs on the instructor's corr2d and corr2d_multi_in (the lesson's other exercises are the reference while this
one is graded). The truth is F.conv2d of X with K, in float64.
"""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_shape, first_matching_hint,
                               seeded)
from autograder.graders.common.conv import CONV_BANNED, DEVICE_HINT, xcorr
from autograder.recipe import Recipe

STACK_HINT = ("one output channel per kernel K[o] (of shape (c_i, k_h, k_w)): corr2d_multi_in(X, K[o]) for each o, "
              "stacked along a new first dimension, torch.stack([...], 0), into shape (c_o, out_h, out_w).")


def expected_shape(X, K):
    return (K.shape[0], X.shape[1] - K.shape[2] + 1, X.shape[2] - K.shape[3] + 1)


def diagnose(X, K, got) -> str:
    if not isinstance(got, torch.Tensor):
        return STACK_HINT
    if got.dtype != X.dtype:
        return DEVICE_HINT
    c_o, h, w = expected_shape(X, K)
    shape = tuple(got.shape)
    if shape != (c_o, h, w):
        if shape == (c_o * h, w) or shape == (h, c_o * w):
            return ("torch.cat joins the outputs along a dimension they already have; torch.stack([...], 0) makes "
                    "the new output-channel dimension, of size c_o.")
        if sorted(shape) == sorted((c_o, h, w)):
            return "stack along dimension 0: the output channels come first, (c_o, out_h, out_w)."
        if shape == (h, w):
            return "keep the output channels apart (stack them); only the input channels are summed."
        return STACK_HINT
    x, k = X.double(), K.double()
    return first_matching_hint(got, {
        "each output channel o has its own kernel K[o], of shape (c_i, k_h, k_w): iterate over K's first dimension "
        "(for k in K), not over its input channels (K[:, o]).":
            lambda: xcorr(x, k.transpose(0, 1)) if K.shape[0] == K.shape[1] else None,
    }, default=STACK_HINT)


def about(X, K):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"corr2d_multi_in_out(X, K) for {dtype}X of shape {tuple(X.shape)} and K of shape {tuple(K.shape)}"


def check_values(args, got, call):
    X, K = args
    expect_close(got, xcorr(X, K), call, lambda: diagnose(X, K, got))


def error_hint(e: StudentError):
    if "device" in e.message.lower() or "meta" in e.message.lower():
        return DEVICE_HINT
    if any(w in e.message for w in ("size of tensor", "shape", "broadcast", "dimension", "must match")):
        return ("iterate over the output channels of K (dimension 0): each K[o] has shape (c_i, k_h, k_w), what "
                "corr2d_multi_in(X, K[o]) expects. " + STACK_HINT)
    return None


def args(c_o, c_i, x_hw, k_hw, seed, device, dtype=torch.float32):
    return (seeded(c_i, *x_hw, seed=seed, dtype=dtype, device=device),
            seeded(c_o, c_i, *k_hw, seed=seed + 1, dtype=dtype, device=device))


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_conv2d = recipe.values(
    3, lambda d: args(3, 2, (5, 6), (2, 3), 0, d), lambda d: args(2, 4, (6, 5), (3, 2), 2, d),
    lambda d: args(3, 3, (4, 4), (1, 1), 4, d))
_BOOK_K = [[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]]
test_book_example = recipe.values(
    1, lambda d: (torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                                [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], device=d),
                  torch.stack([torch.tensor(_BOOK_K, device=d) + i for i in range(3)], 0)))


@pytest.mark.points(1)
def test_output_shape(student, device):
    for c_o, c_i, x_hw, k_hw, seed in [(1, 2, (5, 6), (2, 3), 6), (4, 1, (3, 7), (3, 2), 8), (2, 3, (6, 4), (1, 4), 10)]:
        X, K = args(c_o, c_i, x_hw, k_hw, seed, device)
        try:
            got = student(X, K)
        except StudentError as e:
            as_mistake(e, about(X, K), error_hint(e) or STACK_HINT)
        expect_shape(got, expected_shape(X, K), about(X, K), lambda: diagnose(X, K, got))


test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: args(3, 2, (5, 4), (2, 3), 12, d, torch.float64), truth=xcorr, wrt=(0, 1), names=["X", "K"],
    hint="stack corr2d_multi_in's outputs with torch.stack (differentiable); torch.tensor(...), .item() or "
         ".detach() cut the graph.")


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    X, K = args(2, 2, (5, 5), (2, 2), 14, device, torch.float64)
    try:
        got = student(X, K)
    except StudentError as e:
        as_mistake(e, about(X, K), error_hint(e) or STACK_HINT)
    if isinstance(got, torch.Tensor) and got.dtype != torch.float64:
        raise Mistake(f"{about(X, K)} returned dtype {got.dtype}; keep X's dtype (float64).", DEVICE_HINT)
    check_values((X, K), got, about(X, K))


test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(2, 6, 7, device="meta"), torch.empty(3, 2, 2, 3, device="meta")),
    real_inputs=lambda d: args(3, 2, (6, 7), (2, 3), 16, d), hint=DEVICE_HINT, shape=(3, 5, 5))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: args(3, 2, (5, 6), (2, 2), 18, d), names=["X", "K"],
    hint="build the result from new tensors; never write into X or K.")
test_written_from_scratch = recipe.from_scratch(
    1.5, lambda d: args(2, 3, (6, 6), (3, 3), 20, d), CONV_BANNED,
    hint="call corr2d_multi_in once per output channel and stack; F.conv2d, nn.Conv2d and unfold are what this "
         "lesson builds.")
