"""Grader for ch04-softmax: `softmax(X)` normalises each row of a matrix of logits (book 4.1, 4.4, 4.5.2)."""
import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_finite, first_matching_hint, seeded
from autograder.recipe import Recipe

BANNED = {"functions": ["softmax", "log_softmax", "_softmax", "_log_softmax"],
          "aten": ["_softmax", "_log_softmax", "softmax", "log_softmax", "_safe_softmax"]}
STABLE_HINT = ("exp(1000) overflows to inf and inf/inf is NaN. Subtract each row's maximum first "
               "(X - X.max(dim=1, keepdim=True).values): softmax does not change, nothing overflows "
               "(book 4.5.2).")
SHAPE_HINT = ("softmax keeps the shape of X: exp(X) divided by the row sums taken with keepdim=True "
              "(X_exp.sum(1, keepdim=True)) so that they broadcast over each row.")


def logits(*shape, dtype=torch.float32, device="cpu", seed=0):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=3.0)


def diagnose(X, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return SHAPE_HINT
    x = X.to(torch.float64)
    return first_matching_hint(got, {
        "you normalised over columns (dim 0); each row (dim 1) must sum to 1.": lambda: torch.softmax(x, 0),
        "you divided by the sum of the whole matrix; divide each row by its own sum "
        "(X_exp.sum(1, keepdim=True)).": lambda: x.exp() / x.exp().sum(),
        "you forgot the exponential: softmax is exp(X) divided by the row sums of exp(X).":
            lambda: x / x.sum(1, keepdim=True),
    }, default="softmax(X)_ij = exp(X_ij) / sum_k exp(X_ik): exponentiate, then divide by each row's sum.")


def about(X):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"softmax(X) for {dtype}X of shape {tuple(X.shape)}"


def check_values(args, got, call):
    (X,) = args
    expect_close(got, torch.softmax(X, dim=1), call, lambda: diagnose(X, got))


recipe = Recipe(about, check_values)

# The standard checks (gradient, input untouched, from scratch, speed) count only for a correct result: a fast,
# untouched-input, from-scratch wrong answer earns nothing.

test_matches_torch_softmax = recipe.values(2, lambda d: (logits(4, 7, device=d),))
test_float64_batch_of_one_and_single_class = recipe.values(
    1, lambda d: (logits(3, 5, dtype=torch.float64, device=d, seed=2),),
    lambda d: (logits(1, 10, device=d, seed=3),),     # a batch of one row
    lambda d: (logits(5, 1, device=d, seed=4),))      # a single class
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: (logits(4, 6, dtype=torch.float64, device=d, seed=5),), truth=lambda X: torch.softmax(X, 1),
    hint="the result must come from X through differentiable torch operations (no detach, no torch.tensor(...)).")
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (logits(3, 4, device=d, seed=7),), names=["X"],
    hint="X.exp_() or X -= ... change the caller's tensor; use X.exp() and X - ... instead.")
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (logits(3, 4, device=d, seed=8),), BANNED,
    hint="use torch.exp and sum; torch.softmax, F.softmax, log_softmax and nn.Softmax are what this exercise builds.")
test_speed_against_reference = recipe.speed(
    1, lambda d: (logits(128, 512, device=d, seed=9),),
    hint="use whole-tensor operations (X.exp(), X.sum(1, keepdim=True)) instead of Python loops.")


@pytest.mark.points(1)
def test_rows_are_probabilities(student, device):
    X = logits(6, 5, device=device, seed=1)
    got = student(X)
    expect_finite(got, about(X), lambda: diagnose(X, got))
    if got.shape != X.shape:
        raise Mistake(f"softmax(X) returned shape {tuple(got.shape)} for X of shape {tuple(X.shape)}.",
                      diagnose(X, got))
    sums = got.sum(dim=1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-5) or bool((got < 0).any()):
        raise Mistake(f"the rows of softmax(X) should be probabilities (>= 0, summing to 1); row sums were "
                      f"{[round(s, 4) for s in sums.tolist()]}.", diagnose(X, got))


@pytest.mark.points(2)
def test_large_logits_do_not_overflow(student, device):
    X = torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [50.0, 60.0, 70.0]], device=device)
    call = "softmax(X) for logits of magnitude 1e3, X = [[1000, 999, 998], [-1000, 0, 1000], [50, 60, 70]]"
    got = student(X)
    expect_finite(got, call, STABLE_HINT)
    expect_close(got, torch.softmax(X, dim=1), call, STABLE_HINT)
