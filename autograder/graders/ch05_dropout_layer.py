"""Grader for ch05-dropout_layer: `dropout_layer(X, dropout)` (book 5.6)."""
import math

import pytest
import torch

from autograder.checks import FATAL, Mistake, StudentError, expect_close, expect_finite, expect_shape, seeded, show
from autograder.recipe import Recipe

BANNED = {"functions": ["dropout", "dropout_", "feature_dropout", "alpha_dropout", "feature_alpha_dropout",
                        "native_dropout"],
          "aten": ["dropout", "native_dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"]}
DEVICE_HINT = ("torch.rand(X.shape) always makes the mask on the CPU, so your code fails when X is on a GPU. "
               "Make it on X's device: torch.rand(X.shape, device=X.device) or torch.rand_like(X).")
KEEP_HINT = ("keep each element with probability 1 - dropout: mask = (torch.rand(X.shape, device=X.device) > "
             "dropout); with < instead of > you keep it with probability dropout.")
SCALE_HINT = "divide the kept elements by (1 - dropout) so that the expected value of each element is unchanged."


def positive(*shape, dtype=torch.float32, device="cpu", seed=0):
    """Inputs with no zeros, so a zero in the output can only mean "dropped"."""
    return seeded(*shape, seed=seed, dtype=dtype, device=device, shift=0.5, uniform=True)


def check_dropout(Y, X, p, call):
    """Binomial keep rate and the survivors' scaling; returns the kept fraction."""
    expect_shape(Y, X.shape, call)
    expect_finite(Y, call)
    kept = Y != 0
    n = X.numel()
    rate = kept.double().mean().item()
    bound = 5 * math.sqrt(p * (1 - p) / n) + 1 / n
    if abs(rate - (1 - p)) > bound:
        raise Mistake(f"{call} kept {rate:.3f} of {n} elements; with dropout = {p} about {1 - p:.3f} should survive "
                      f"(allowed: {1 - p:.3f} +- {bound:.3f}).", KEEP_HINT)
    expect_close(Y[kept], X[kept] / (1 - p), f"the surviving elements of {call}", SCALE_HINT, check_dtype=False)
    return rate


def about(X, p):
    return f"dropout_layer(X, {p}) for X of shape {tuple(X.shape)}"


def check_values(args, got, call):
    X, p = args
    check_dropout(got, X, p, call)


recipe = Recipe(about, check_values, seed=0)

test_mask_made_on_the_input_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(8, 16, device="meta"), 0.5),
    real_inputs=lambda d: (positive(30, 40, device=d, seed=13), 0.5), hint=DEVICE_HINT, shape=(8, 16))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (positive(20, 30, device=d, seed=8), 0.5), names=["X", None],
    hint="X *= mask or X[mask] = 0 change the caller's tensor; compute a new tensor instead.")
test_written_from_scratch = recipe.from_scratch(
    0.5, lambda d: (positive(20, 30, device=d, seed=9), 0.5), BANNED,
    hint="make the mask with torch.rand and multiply; nn.Dropout and F.dropout are what this exercise builds.")
test_speed_against_reference = recipe.speed(
    0.5, lambda d: (positive(256, 1024, device=d, seed=11), 0.5),
    hint="use whole-tensor operations (one torch.rand for the mask) instead of Python loops.")


@pytest.mark.points(1)
def test_dropout_zero_keeps_everything(student, device):
    X = positive(4, 6, device=device, seed=1)
    expect_close(student(X, 0.0), X, "dropout_layer(X, 0.0)",
                 "with dropout = 0 nothing is dropped and 1 / (1 - 0) = 1, so the result equals X.")


@pytest.mark.points(1)
def test_dropout_one_gives_zeros(student, device):
    X = positive(4, 6, device=device, seed=2)
    got = student(X, 1.0)
    hint = "with dropout = 1 return torch.zeros_like(X) before dividing by 1 - dropout = 0 (which gives NaN)."
    expect_finite(got, "dropout_layer(X, 1.0)", hint)
    expect_close(got, torch.zeros_like(X), "dropout_layer(X, 1.0)", hint)


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_keep_rate_and_scaling(student, device, p):
    X = positive(200, 500, device=device, seed=3)
    check_dropout(student.run(X, p, seed=10).value, X, p, about(X, p))


@pytest.mark.points(0.5)
def test_mask_is_random(student, device):
    X = positive(50, 40, device=device, seed=4)
    a = student(X, 0.5)
    b = student.run(X, 0.5, seed=12345).value
    c = student.run(X, 0.5, seed=777).value
    for got in (a, b, c):
        check_dropout(got, X, 0.5, "dropout_layer(X, 0.5)")
    if torch.equal(b != 0, c != 0):
        raise Mistake("dropout_layer(X, 0.5) dropped exactly the same elements on two calls with different random "
                      "states; the mask must be drawn afresh each call.",
                      "draw the mask with torch.rand inside the function; do not seed or reuse a fixed mask.")


@pytest.mark.points(1.5)
def test_gradient_flows_through_survivors(student, device):
    X = positive(6, 8, dtype=torch.float64, device=device, seed=5)
    G = positive(6, 8, dtype=torch.float64, device=device, seed=6)
    out = student.run(X, 0.5, requires_grad=[0], seed=21)
    check_dropout(out.value, X, 0.5, "dropout_layer(X, 0.5)")
    got = student.backward([G]).args[0]
    if got is None:
        raise Mistake("no gradient reached X through dropout_layer(X, 0.5).",
                      "build the result from X with torch operations (mask * X / (1 - dropout)).")
    expected = G * (out.value != 0) / 0.5
    expect_close(got, expected, "the gradient of dropout_layer(X, 0.5) with respect to X",
                 "the gradient is G / (1 - p) where an element was kept and 0 where it was dropped.")


@pytest.mark.points(0.25)
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_invalid_probability_raises(student, device, p):
    X = positive(30, 40, device=device, seed=7)
    check_dropout(student.run(X, 0.5, seed=2).value, X, 0.5, about(X, 0.5))  # raising on everything earns nothing
    try:
        got = student(X, p)
    except StudentError as e:
        if e.type in FATAL:   # a hang or a memory blow-up is not an error raised on purpose
            raise
        return
    raise Mistake(f"dropout_layer(X, {p}) returned {show(got)}; a probability outside [0, 1] should raise an error.",
                  "start with assert 0 <= dropout <= 1.")
