"""Grader for ch06-init_xavier: `net.apply(init_xavier)` gives every nn.Linear weights ~ U(-a, a) with
a = sqrt(6 / (fan_in + fan_out)), written without nn.init.xavier_uniform_ / xavier_normal_; biases and other modules
unchanged (book 6.3.1, 5.4.2). Judged by the statistics of the probe network's weights (see common/init.py); the
library's Xavier functions are found in the source text and recorded by the lesson's init_probe while it runs."""
import math

import torch

from autograder.checks import Mistake
from autograder.graders.common.init import expect_uniform, make_tests, unchanged

BANNED = ["xavier_uniform_", "xavier_normal_", "xavier_uniform", "xavier_normal"]


def bound(fan_in, fan_out):
    return math.sqrt(6 / (fan_in + fan_out))


def diagnose(W, fan_in, fan_out, before) -> str:
    w = W.double().flatten()
    if unchanged(before, W):
        return ("the weights are still PyTorch's default ones: your function did not change them. Does its test "
                "match nn.Linear (type(module) == nn.Linear)?")
    top, a = w.abs().max().item(), bound(fan_in, fan_out)
    if w.min().item() >= 0:
        return "draw from U(-a, a), symmetric around 0, not from U(0, a)."
    if top > 1.05 * a:
        # a Gaussian has no bound: the largest of many draws lies several standard deviations out
        if abs(w.std().item() / math.sqrt(2 / (fan_in + fan_out)) - 1) < 0.1:
            return ("your weights look Gaussian with std sqrt(2 / (fan_in + fan_out)) (Xavier's normal variant); "
                    "this exercise is the uniform one: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).")
    candidates = {
        "a = sqrt(6 / fan_in) is He's (Kaiming's) uniform bound; Xavier's divides by fan_in + fan_out.":
            math.sqrt(6 / fan_in),
        "a = sqrt(6 / fan_out): Xavier's bound divides by fan_in + fan_out.": math.sqrt(6 / fan_out),
        "sqrt(2 / (fan_in + fan_out)) is the standard deviation Xavier wants; U(-a, a) has standard deviation "
        "a / sqrt(3), so the bound is a = sqrt(6 / (fan_in + fan_out)).": math.sqrt(2 / (fan_in + fan_out)),
        "fan_in and fan_out come from the two different dimensions of the weight, shape (fan_out, fan_in): "
        "fan_in = weight.shape[1], fan_out = weight.shape[0].": None,
        "6 / (fan_in + fan_out) is a^2: take its square root, a = sqrt(6 / (fan_in + fan_out)).":
            6 / (fan_in + fan_out),
    }
    for hint, value in candidates.items():
        if value is None:
            for wrong in (math.sqrt(6 / (2 * fan_in)), math.sqrt(6 / (2 * fan_out))):
                if abs(top / wrong - 1) < 0.02 and abs(wrong / a - 1) > 0.05:
                    return hint
        elif abs(top / value - 1) < 0.02:
            return hint
    return (f"draw from U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) = sqrt(6 / ({fan_in} + {fan_out})) = {a:.4g} "
            "for this layer: nn.init.uniform_(module.weight, -a, a).")


def check_weight(W, fan_in, fan_out, call, before):
    if tuple(W.shape) != (fan_out, fan_in):
        raise Mistake(f"{call} has shape {tuple(W.shape)}, expected {(fan_out, fan_in)}.",
                      "change the weight in place; do not replace it by a tensor of another shape.")
    a = bound(fan_in, fan_out)
    expect_uniform(W.double().flatten(), -a, a, f"{call} (a = sqrt(6 / ({fan_in} + {fan_out})) = {a:.4g})", W,
                   lambda: diagnose(W, fan_in, fan_out, before))


globals().update(make_tests("init_xavier", check_weight, bias="unchanged", banned=BANNED,
                            points={"weights": 4, "biases": 1, "others": 1.5, "draws": 1, "dtype_device": 1.5,
                                    "scratch": 1}))
