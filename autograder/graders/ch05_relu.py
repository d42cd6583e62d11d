"""Grader for ch05-relu: `relu(X)` = max(X, 0) elementwise, for any shape, keeping dtype and device (book 5.1.2,
5.2.1).

The truth is torch.relu. At exactly 0 ReLU has no derivative: torch.relu's gradient there is 0, the book's
torch.max(X, torch.zeros_like(X)) gives 0.5, torch.clamp 0 or 1 depending on the version; any subgradient in [0, 1]
is accepted at 0 (the lesson says so), and the gradient is checked as 0 / 1 everywhere else.
"""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, expect_backward, expect_close, first_matching_hint, seeded)
from autograder.graders.common.devices import on_device_reading_values_allowed
from autograder.recipe import Recipe

BANNED = {"functions": ["relu", "relu_", "threshold", "threshold_", "leaky_relu", "leaky_relu_"],
          "aten": ["relu", "relu_", "threshold", "threshold_", "leaky_relu", "leaky_relu_"]}
DTYPE_HINT = ("make the zeros with X's dtype and device: torch.zeros_like(X). torch.zeros(X.shape) is float32 on the "
              "CPU, so max(X, it) turns a float16 X into float32 (and fails for X on a GPU).")
DEVICE_HINT = ("make the zeros on X's device: torch.zeros_like(X) (torch.zeros(X.shape) lives on the CPU, and "
               "mixing it with a GPU tensor is an error).")


def with_zeros(*shape, seed, dtype=torch.float32, device="cpu", scale=2.0):
    """Both signs, and some entries exactly 0 (every fifth)."""
    X = seeded(*shape, seed=seed, dtype=torch.float64, scale=scale)
    X.reshape(-1)[::5] = 0.0
    return X.to(dtype).to(device)


def no_zeros(*shape, seed, dtype=torch.float32, device="cpu"):
    """Both signs, none within 0.05 of 0: the derivative there is 0 or 1, nothing in between."""
    X = seeded(*shape, seed=seed, dtype=torch.float64, scale=2.0)
    X = X + 0.05 * torch.where(X >= 0, 1.0, -1.0).to(X.dtype)
    return X.to(dtype).to(device)


def about(X):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"relu(X) for {dtype}X of shape {tuple(X.shape)}"


def diagnose(X, got) -> str:
    x = X.double()
    return first_matching_hint(got, {
        "you returned X unchanged: negative entries must become 0.": x,
        "that is min(X, 0): ReLU keeps the POSITIVE entries, max(X, 0).": lambda: torch.clamp(x, max=0),
        "that is |X|: ReLU sets negative entries to 0 instead of flipping their sign.": lambda: x.abs(),
        "you returned the mask (X > 0) itself; multiply X by it, or use torch.max(X, torch.zeros_like(X)).":
            lambda: (x > 0).double(),
        "the negative entries should become 0, not stay negative (a mask that keeps X < 0?).":
            lambda: torch.where(x < 0, x, torch.zeros_like(x)),
    }, default=GENERIC_HINT)


GENERIC_HINT = "relu(X) = max(X, 0), elementwise: torch.max(X, torch.zeros_like(X))."


def hint_for(X, got) -> str:
    hint = diagnose(X, got)
    if hint == GENERIC_HINT and isinstance(got, torch.Tensor) and got.dtype != X.dtype:
        return DTYPE_HINT
    return hint


def check_values(args, got, call):
    (X,) = args
    expect_close(got, torch.relu(X), call, lambda: hint_for(X, got), rtol=0, atol=0)


def error_hint(e: StudentError):
    message = e.message.lower()
    if "in-place" in message or "leaf variable" in message:
        return ("you change X in place, which autograd forbids for a tensor that requires gradients (and which "
                "changes the caller's tensor): make a new tensor, e.g. torch.max(X, torch.zeros_like(X)).")
    return DEVICE_HINT if "device" in message else None


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_torch_relu = recipe.values(
    3, lambda d: (with_zeros(4, 6, seed=0, device=d),), lambda d: (with_zeros(7, seed=1, device=d),),
    lambda d: (with_zeros(2, 3, 4, seed=2, device=d, scale=1e6),), lambda d: (with_zeros(1, seed=3, device=d),))
test_keeps_the_dtype = recipe.values(
    1, lambda d: (with_zeros(3, 5, seed=4, dtype=torch.float64, device=d),),
    lambda d: (with_zeros(3, 5, seed=5, dtype=torch.float16, device=d),))
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: (no_zeros(4, 5, seed=6, dtype=torch.float64, device=d),), truth=torch.relu, names=["X"],
    hint="the gradient of ReLU is 1 where X > 0 and 0 where X < 0; build the result from X with torch operations "
         "(no .detach(), no torch.tensor(...) of values).")
test_input_not_modified = recipe.unmodified(
    1, lambda d: (with_zeros(5, 4, seed=7, device=d),), names=["X"],
    hint="X[X < 0] = 0 and X.clamp_(min=0) change the caller's tensor; make a new one (torch.max(X, "
         "torch.zeros_like(X)), X.clamp(min=0), X * (X > 0)).")
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (with_zeros(5, 4, seed=8, device=d),), BANNED,
    hint="compute max(X, 0) with general operations (torch.max / torch.maximum with zeros, torch.clamp, "
         "torch.where); torch.relu, F.relu, nn.ReLU, F.threshold and F.leaky_relu are the library's ReLU.")
test_speed_against_reference = recipe.speed(
    1, lambda d: (with_zeros(64, 128, seed=9, device=d),),
    hint="use one whole-tensor operation (torch.max(X, torch.zeros_like(X))), not a Python loop over the entries.")
test_result_on_the_inputs_device = on_device_reading_values_allowed(1, recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(4, 5, device="meta"),),
    real_inputs=lambda d: (with_zeros(4, 5, seed=10, device=d),), hint=DEVICE_HINT, shape=(4, 5)))


@pytest.mark.points(0.5)
def test_any_subgradient_at_zero(student, device):
    """At exactly 0 any value in [0, 1] is a valid (sub)gradient; elsewhere 0 or 1."""
    X = with_zeros(3, 10, seed=11, dtype=torch.float64, device=device)
    call = about(X) + ", with entries exactly 0"
    recipe.checked(student, (X,), requires_grad=[0])
    G = torch.ones_like(X)
    grads = expect_backward(student, [G], call, "build the result from X with differentiable torch operations.")
    g = grads.args[0]
    if g is None:
        raise Mistake(f"no gradient reached X through {call}.", "build the result from X itself.")
    away = X != 0
    expect_close(g[away], (X[away] > 0).to(g.dtype), f"the gradient of {call} away from 0",
                 "the gradient of ReLU is 1 where X > 0 and 0 where X < 0.", check_dtype=False)
    at_zero = g[~away]
    if torch.isnan(at_zero).any() or (at_zero < 0).any() or (at_zero > 1).any():
        raise Mistake(f"the gradient of {call} at the entries equal to 0 is {at_zero.tolist()}; any value in [0, 1] "
                      "is accepted there (a subgradient of max(x, 0) at its kink).",
                      "a formula such as (X + sqrt(X ** 2)) / 2 divides 0 by 0 in its derivative; "
                      "torch.max(X, torch.zeros_like(X)), X.clamp(min=0) or X * (X > 0) are safe.")
