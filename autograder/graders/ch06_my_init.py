"""Grader for ch06-my_init: `net.apply(my_init)` gives every nn.Linear weights from the book's mixture: U(5, 10) and
U(-10, -5) with probability 1/4 each, 0 with probability 1/2; biases and other modules unchanged (book 6.3.2).
Judged by the statistics of the probe network's weights (see common/init.py)."""
import torch

from autograder.checks import Mistake
from autograder.graders.common.init import binomial_bound, describe, expect_uniform, fraction, make_tests, unchanged

MIX_HINT = ("draw from U(-10, 10) (nn.init.uniform_(module.weight, -10, 10)), then zero the weights with |w| < 5: "
            "module.weight.data *= module.weight.data.abs() >= 5 (or the same under torch.no_grad()).")


def diagnose(W, before) -> str:
    w = W.double().flatten()
    if unchanged(before, W):
        return ("the weights are still PyTorch's default ones: your function did not change them. Does its test "
                "match nn.Linear (type(module) == nn.Linear)?")
    zero, kept = fraction(w == 0), w[w != 0]
    if kept.numel() and kept.min().item() > 0 and abs(zero - 0.75) < 0.05:
        return ("only positive weights survive: the mask w >= 5 drops the whole negative half; compare the "
                "magnitude, w.abs() >= 5.")
    if kept.numel() and kept.abs().max().item() < 5 + 1e-6 and abs(zero - 0.5) < 0.05:
        return "the mask is the wrong way round: keep the weights with |w| >= 5 and zero those with |w| < 5."
    if zero < 0.01 and w.abs().max().item() <= 10 and w.min().item() < -9:
        return "you drew from U(-10, 10) but did not zero the weights with |w| < 5."
    if zero < 0.01 and w.min().item() >= 5:
        return "draw from U(-10, 10) and zero the middle: the result must also take the value 0 and negative values."
    return MIX_HINT


def check_weight(W, fan_in, fan_out, call, before):
    if tuple(W.shape) != (fan_out, fan_in):
        raise Mistake(f"{call} has shape {tuple(W.shape)}, expected {(fan_out, fan_in)}.",
                      "change the weight in place; do not replace it by a tensor of another shape.")
    w = W.double().flatten()
    hint = lambda: diagnose(W, before)  # noqa: E731
    n, zero = w.numel(), fraction(w == 0)
    if abs(zero - 0.5) > binomial_bound(0.5, n):
        raise Mistake(f"{call}: {zero:.1%} of the weights are 0, expected half (+- {binomial_bound(0.5, n):.1%}) "
                      f"({describe(W)}).", hint)
    kept = w[w != 0]
    positive = fraction(kept > 0)
    if abs(positive - 0.5) > binomial_bound(0.5, kept.numel()):
        raise Mistake(f"{call}: {positive:.1%} of the nonzero weights are positive, expected half "
                      f"({describe(W)}).", hint)
    expect_uniform(kept.abs(), 5.0, 10.0, call, W, hint, what="the magnitudes of the nonzero weights")


globals().update(make_tests("my_init", check_weight, bias="unchanged",
                            points={"weights": 4.5, "biases": 1.5, "others": 1.5, "draws": 1, "dtype_device": 1.5}))
