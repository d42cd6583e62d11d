"""Grader for ch05-dropout_layer: `dropout_layer(X, dropout)` (book 5.6)."""
import math

import pytest
import torch

from autograder.checks import (Mistake, expect_close, expect_fast, expect_finite, expect_not_used,
                               expect_shape, expect_unmodified, show)
from autograder.impl import StudentError

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
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g, dtype=torch.float64) + 0.5).to(dtype).to(device)


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


def correct_call(student, X, p, seed, call):
    out = student.run(X, p, seed=seed, return_args=True)
    check_dropout(out.value, X, p, call)
    return out


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
    correct_call(student, X, p, seed=10, call=f"dropout_layer(X, {p}) for X of shape (200, 500)")


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


@pytest.mark.points(1)
def test_mask_made_on_the_input_device(student, device):
    # "meta" tensors have a device but no data: code that makes its mask on a fixed device fails on them
    # exactly as the book's listing fails on a GPU, so this runs on a CPU-only machine too.
    correct_call(student, positive(30, 40, device=device, seed=13), 0.5, seed=6, call="dropout_layer(X, 0.5)")
    X = torch.empty(8, 16, device="meta")
    call = "dropout_layer(X, 0.5) for X on a device other than the CPU"
    try:
        got = student(X, 0.5)
    except StudentError as e:
        if "device" in e.message.lower():
            raise Mistake(f"{call} raised {e.type}: {e.message}", DEVICE_HINT) from None
        raise
    if getattr(got, "sent_from", "meta") != "meta":
        raise Mistake(f"{call} returned a tensor on {got.sent_from}, not on X's device.", DEVICE_HINT)
    expect_shape(got, X.shape, call)


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
    correct_call(student, X, 0.5, seed=2, call="dropout_layer(X, 0.5)")  # raising on everything earns nothing
    try:
        got = student(X, p)
    except StudentError:
        return
    raise Mistake(f"dropout_layer(X, {p}) returned {show(got)}; a probability outside [0, 1] should raise an error.",
                  "start with assert 0 <= dropout <= 1.")


@pytest.mark.points(0.5)
def test_input_not_modified(student, device):
    X = positive(20, 30, device=device, seed=8)
    out = correct_call(student, X, 0.5, seed=3, call="dropout_layer(X, 0.5)")
    expect_unmodified(X, out.args[0], "X", "dropout_layer(X, 0.5)",
                      "X *= mask or X[mask] = 0 change the caller's tensor; compute a new tensor instead.")


@pytest.mark.points(0.5)
def test_written_from_scratch(student, device):
    X = positive(20, 30, device=device, seed=9)
    out = student.run(X, 0.5, seed=4, watch=BANNED)
    check_dropout(out.value, X, 0.5, "dropout_layer(X, 0.5)")
    expect_not_used(out.seen, BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]], "dropout_layer(X, 0.5)",
                    "make the mask with torch.rand and multiply; nn.Dropout and F.dropout are what this exercise "
                    "builds.")


@pytest.mark.points(0.5)
def test_speed_against_reference(student, reference, device):
    X = positive(256, 1024, device=device, seed=11)
    correct_call(student, X, 0.5, seed=5, call="dropout_layer(X, 0.5) for X of shape (256, 1024)")
    expect_fast(student, reference, X, 0.5, threshold=10, call="dropout_layer(X, 0.5) for X of shape (256, 1024)",
                hint="use whole-tensor operations (one torch.rand for the mask) instead of Python loops.")
