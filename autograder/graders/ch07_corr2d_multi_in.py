"""Grader for ch07-corr2d_multi_in: `corr2d_multi_in(X, K)` for X (c_i, n_h, n_w) and K (c_i, k_h, k_w): one
cross-correlation per input channel, summed over the channels (book 7.4.1).

It runs on the instructor's corr2d (the lesson's other exercises are the reference while this one is graded). The
truth is F.conv2d of X with K as a single output channel, in float64.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, first_matching_hint, seeded
from autograder.graders.common.conv import CONV_BANNED, DEVICE_HINT, corr2d_truth, correlated
from autograder.recipe import Recipe

SUM_HINT = ("corr2d_multi_in(X, K) = sum over the channels i of corr2d(X[i], K[i]): one 2-D cross-correlation per "
            "input channel, with that channel's kernel, then added up into one 2-D output.")


def diagnose(X, K, got) -> str:
    x, k = X.double(), K.double()
    c_i = X.shape[0]
    if isinstance(got, torch.Tensor) and got.dtype != X.dtype:
        return DEVICE_HINT
    return first_matching_hint(got, {
        "you returned one output per channel; add them up: sum(corr2d(x, k) for x, k in zip(X, K)).":
            lambda: torch.stack([corr2d_truth(x[i], k[i]) for i in range(c_i)]),
        "you averaged over the channels; corr2d_multi_in sums them.": lambda: correlated(x, k) / c_i,
        "every channel counts: pair X[i] with K[i] for all i, not only the first channel.":
            lambda: corr2d_truth(x[0], k[0]),
        "pair each input channel with its own kernel, X[i] with K[i]: adding up every pair of a channel and a "
        "kernel, or correlating the channel sums X.sum(0) and K.sum(0) (which is the same), mixes channel i with "
        "the kernels of the other channels.": lambda: corr2d_truth(x.sum(0), k.sum(0)),
    }, default=SUM_HINT)


def about(X, K):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"corr2d_multi_in(X, K) for {dtype}X of shape {tuple(X.shape)} and K of shape {tuple(K.shape)}"


def check_values(args, got, call):
    X, K = args
    expect_close(got, correlated(X, K), call, lambda: diagnose(X, K, got))


def error_hint(e: StudentError):
    if "device" in e.message.lower() or "meta" in e.message.lower():
        return DEVICE_HINT
    if any(w in e.message for w in ("size of tensor", "shape", "broadcast", "dimension")):
        return ("X[i] and K[i] are 2-D: iterate over the channels (dimension 0) of both, zip(X, K), and call "
                "corr2d on each pair. " + SUM_HINT)
    return None


def args(c_i, x_hw, k_hw, seed, device, dtype=torch.float32):
    return (seeded(c_i, *x_hw, seed=seed, dtype=dtype, device=device),
            seeded(c_i, *k_hw, seed=seed + 1, dtype=dtype, device=device))


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_conv2d = recipe.values(
    3, lambda d: args(2, (5, 6), (2, 3), 0, d), lambda d: args(3, (6, 4), (3, 2), 2, d),
    lambda d: args(4, (4, 4), (1, 1), 4, d))
test_book_example = recipe.values(
    1, lambda d: (torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                                [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], device=d),
                  torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]], device=d)))
test_one_channel_and_a_full_kernel = recipe.values(
    1.5, lambda d: args(1, (4, 5), (2, 2), 6, d),     # one channel: corr2d itself
    lambda d: args(3, (3, 4), (3, 4), 8, d),          # a kernel as large as X: one output
    lambda d: args(5, (1, 6), (1, 3), 10, d))         # single rows
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: args(3, (5, 4), (2, 3), 12, d, torch.float64), truth=correlated, wrt=(0, 1), names=["X", "K"],
    hint="build the result from corr2d's outputs with torch operations (+, sum, torch.stack(...).sum(0)); "
         "torch.tensor(...), .item() or .detach() cut the graph.")


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    X, K = args(2, (5, 5), (2, 2), 14, device, torch.float64)
    try:
        got = student(X, K)
    except StudentError as e:
        as_mistake(e, about(X, K), error_hint(e) or SUM_HINT)
    if isinstance(got, torch.Tensor) and got.dtype != torch.float64:
        raise Mistake(f"{about(X, K)} returned dtype {got.dtype}; keep X's dtype (float64).", DEVICE_HINT)
    check_values((X, K), got, about(X, K))


test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(3, 6, 7, device="meta"), torch.empty(3, 2, 3, device="meta")),
    real_inputs=lambda d: args(3, (6, 7), (2, 3), 16, d), hint=DEVICE_HINT, shape=(5, 5))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: args(3, (5, 6), (2, 2), 18, d), names=["X", "K"],
    hint="add into a new tensor (Y = Y + ...), never into X or K (X[0] += ... changes the caller's input).")
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: args(3, (6, 6), (3, 3), 20, d), CONV_BANNED,
    hint="call corr2d on each channel and add the results; F.conv2d, nn.Conv2d and unfold are what this lesson "
         "builds.")
