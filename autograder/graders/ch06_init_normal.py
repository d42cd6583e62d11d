"""Grader for ch06-init_normal: `net.apply(init_normal)` gives every nn.Linear weights ~ N(0, 0.01^2) and zero
biases, and leaves every other module alone (book 6.3.1). Judged by the statistics of the probe network's weights
(see common/init.py)."""
import math

import torch

from autograder.checks import Mistake
from autograder.graders.common.init import expect_normal, make_tests, unchanged

STD = 0.01


def diagnose(W, fan_in, before) -> str:
    w = W.double().flatten()
    m, s = w.mean().item(), w.std().item()
    if unchanged(before, W):
        return ("the weights are still PyTorch's default ones: your function did not change them. Does its test "
                "match nn.Linear (type(module) == nn.Linear)?")
    if s == 0:
        return "every weight has the same value: draw them from N(0, 0.01^2) with nn.init.normal_."
    near = lambda x, y: abs(x - y) < 0.2 * abs(y)  # noqa: E731
    if near(s, 1) and near(m, STD):
        return ("nn.init.normal_(w, 0.01) sets the mean to 0.01 and keeps std 1 (the second argument is the mean): "
                "write nn.init.normal_(module.weight, mean=0, std=0.01).")
    if near(s, 1):
        return "the standard deviation is 1 (normal_'s default): pass std=0.01."
    if near(s, math.sqrt(STD)):
        return "0.01 is the standard deviation (std=0.01), not the variance: your weights have std sqrt(0.01) = 0.1."
    if near(s, STD ** 2):
        return "pass std=0.01 itself (the standard deviation): your weights have std 0.01 ** 2 = 1e-4."
    if near(s, STD) and abs(m) < 0.1 * STD:
        return ("mean and spread are right but the shape is not a Gaussian's (too few weights near the mean): "
                "draw with nn.init.normal_, not uniform_.")
    return "draw each weight from N(0, 0.01^2): nn.init.normal_(module.weight, mean=0, std=0.01)."


def check_weight(W, fan_in, fan_out, call, before):
    if tuple(W.shape) != (fan_out, fan_in):
        raise Mistake(f"{call} has shape {tuple(W.shape)}, expected {(fan_out, fan_in)}.",
                      "change the weight in place; do not replace it by a tensor of another shape.")
    expect_normal(W, 0.0, STD, call, lambda: diagnose(W, fan_in, before))


globals().update(make_tests("init_normal", check_weight, bias="zeros"))
