"""Grader for ch04-softmax: `softmax(X)` normalises each row of a matrix of logits (book 4.1, 4.4, 4.5.2)."""
import pytest
import torch

from autograder.checks import (Mistake, expect_close, expect_fast, expect_finite, expect_not_used,
                               expect_unmodified)

BANNED = {"functions": ["softmax", "log_softmax", "_softmax", "_log_softmax"],
          "aten": ["_softmax", "_log_softmax", "softmax", "log_softmax", "_safe_softmax"]}
STABLE_HINT = ("exp(1000) overflows to inf and inf/inf is NaN. Subtract each row's maximum first "
               "(X - X.max(dim=1, keepdim=True).values): softmax does not change, nothing overflows "
               "(book 4.5.2).")


def logits(*shape, dtype=torch.float32, device="cpu", scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype).to(device)


def diagnose(X, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return ("softmax keeps the shape of X: exp(X) divided by the row sums taken with keepdim=True "
                "(X_exp.sum(1, keepdim=True)) so that they broadcast over each row.")
    g = got.detach().to(X.device, torch.float64)
    x = X.to(torch.float64)
    candidates = {
        "you normalised over columns (dim 0); each row (dim 1) must sum to 1.": torch.softmax(x, 0),
        "you divided by the sum of the whole matrix; divide each row by its own sum "
        "(X_exp.sum(1, keepdim=True)).": x.exp() / x.exp().sum(),
        "you forgot the exponential: softmax is exp(X) divided by the row sums of exp(X).":
            x / x.sum(1, keepdim=True),
    }
    for hint, wrong in candidates.items():
        if torch.allclose(g, wrong, rtol=1e-3, atol=1e-5):
            return hint
    return "softmax(X)_ij = exp(X_ij) / sum_k exp(X_ik): exponentiate, then divide by each row's sum."


def check_values(student, X, call, got=None):
    got = student(X) if got is None else got
    expect_close(got, torch.softmax(X, dim=1), call, diagnose(X, got))


# The checks below count only for a correct result: a fast, untouched-input, from-scratch wrong answer
# earns nothing.


@pytest.mark.points(2)
def test_matches_torch_softmax(student, device):
    X = logits(4, 7, device=device)
    check_values(student, X, "softmax(X) for X of shape (4, 7)")


@pytest.mark.points(1)
def test_rows_are_probabilities(student, device):
    X = logits(6, 5, device=device, seed=1)
    got = student(X)
    expect_finite(got, "softmax(X)", diagnose(X, got))
    if got.shape != X.shape:
        raise Mistake(f"softmax(X) returned shape {tuple(got.shape)} for X of shape {tuple(X.shape)}.",
                      diagnose(X, got))
    sums = got.sum(dim=1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-5) or bool((got < 0).any()):
        raise Mistake(f"the rows of softmax(X) should be probabilities (>= 0, summing to 1); row sums were "
                      f"{[round(s, 4) for s in sums.tolist()]}.", diagnose(X, got))


@pytest.mark.points(1)
def test_float64_batch_of_one_and_single_class(student, device):
    X = logits(3, 5, dtype=torch.float64, device=device, seed=2)
    check_values(student, X, "softmax(X) for float64 X of shape (3, 5)")
    one = logits(1, 10, device=device, seed=3)
    check_values(student, one, "softmax(X) for a batch of one row, shape (1, 10)")
    column = logits(5, 1, device=device, seed=4)
    check_values(student, column, "softmax(X) for a single class, shape (5, 1)")


@pytest.mark.points(2)
def test_large_logits_do_not_overflow(student, device):
    X = torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [50.0, 60.0, 70.0]], device=device)
    call = "softmax(X) for logits of magnitude 1e3, X = [[1000, 999, 998], [-1000, 0, 1000], [50, 60, 70]]"
    got = student(X)
    expect_finite(got, call, STABLE_HINT)
    expect_close(got, torch.softmax(X, dim=1), call, STABLE_HINT)


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device):
    X = logits(4, 6, dtype=torch.float64, device=device, seed=5)
    G = logits(4, 6, dtype=torch.float64, device=device, seed=6)
    student.run(X, requires_grad=[0])
    got = student.backward([G]).args[0]
    Xr = X.clone().requires_grad_(True)
    torch.softmax(Xr, dim=1).backward(G)
    if got is None:
        raise Mistake("softmax(X) is not differentiable with respect to X: no gradient reached X.",
                      "build the result from X with torch operations; do not detach or copy into a new tensor.")
    expect_close(got, Xr.grad, "the gradient of softmax(X) with respect to X",
                 "the result must come from X through differentiable torch operations.")


@pytest.mark.points(0.5)
def test_input_not_modified(student, device):
    X = logits(3, 4, device=device, seed=7)
    out = student.run(X, return_args=True)
    check_values(student, X, "softmax(X)", out.value)
    expect_unmodified(X, out.args[0], "X", "softmax(X)",
                      "X.exp_() or X -= ... change the caller's tensor; use X.exp() and X - ... instead.")


@pytest.mark.points(1)
def test_written_from_scratch(student, device):
    X = logits(3, 4, device=device, seed=8)
    out = student.run(X, watch=BANNED)
    check_values(student, X, "softmax(X)", out.value)
    expect_not_used(out.seen, BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]], "softmax(X)",
                    "use torch.exp and sum; torch.softmax, F.softmax, log_softmax and nn.Softmax are what "
                    "this exercise builds.")


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    X = logits(128, 512, device=device, seed=9)
    check_values(student, X, "softmax(X) for X of shape (128, 512)")
    expect_fast(student, reference, X, threshold=10, call="softmax(X) for X of shape (128, 512)",
                hint="use whole-tensor operations (X.exp(), X.sum(1, keepdim=True)) instead of Python loops.")
