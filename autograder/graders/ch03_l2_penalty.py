"""Grader for ch03-l2_penalty: `l2_penalty(w)` is half the sum of the squares of all of w's elements (book 3.7.3).

The truth is torch's own `torch.linalg.vector_norm(w) ** 2 / 2`, in float64. Any sound formula gets full marks
((w ** 2).sum() / 2, (w * w).sum() * 0.5, w.norm() ** 2 / 2, ...); the mistakes below name themselves.
"""
import pytest
import torch

from autograder.checks import Mistake, expect_backward, expect_close, expect_shape, first_matching_hint, seeded
from autograder.recipe import Recipe

F64 = torch.float64
SCALAR_HINT = ("return one number for the whole of w, a 0-dim tensor: sum over every element ((w ** 2).sum()), "
               "not over one dimension.")


def truth(w):
    return (torch.linalg.vector_norm(w.to(F64)) ** 2 / 2).to(w.dtype)


def about(w):
    dtype = "" if w.dtype == torch.float32 else f"{str(w.dtype)[6:]} "
    return f"l2_penalty(w) for {dtype}w of shape {tuple(w.shape)}"


def diagnose(w, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    if isinstance(got, torch.Tensor) and got.dim() > 0:
        if got.shape == w.shape:
            return "you returned w ** 2 / 2 element by element; sum it into one number: (w ** 2).sum() / 2."
        if w.dim() == 2 and got.shape == (w.shape[1], w.shape[1]):
            return ("w.T @ w is a (1, 1) matrix for a column w (and a matrix for a matrix w); "
                    "(w ** 2).sum() / 2 is one number for any shape.")
        return SCALAR_HINT
    x = w.to(F64)
    return first_matching_hint(got, {
        "the 1/2 is missing: the penalty is (w ** 2).sum() / 2 (its gradient is then w itself).":
            lambda: (x ** 2).sum(),
        "that is the norm ||w||; the penalty uses its square, halved: (w ** 2).sum() / 2.":
            lambda: torch.linalg.vector_norm(x) / 2,
        "that is the norm ||w|| itself; the penalty is its square, halved: (w ** 2).sum() / 2.":
            lambda: torch.linalg.vector_norm(x),
        "you averaged the squares; the penalty sums them: (w ** 2).sum() / 2, not .mean().":
            lambda: (x ** 2).mean() / 2,
        "you squared the sum of w; square each element first, then sum: (w ** 2).sum() / 2.":
            lambda: x.sum() ** 2 / 2,
        "that is the l1 penalty (absolute values); the l2 penalty squares: (w ** 2).sum() / 2.":
            lambda: x.abs().sum() / 2,
    }, default="the penalty is half the sum of the squares of all elements of w: (w ** 2).sum() / 2.")


def check_values(args, got, call):
    (w,) = args
    expect_close(got, truth(w), call, lambda: diagnose(w, got))


recipe = Recipe(about, check_values)


def weights(*shape, seed, dtype=torch.float32, device="cpu", scale=0.5):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=scale)


test_matches_half_the_squared_norm = recipe.values(
    3, lambda d: (weights(7, 1, seed=0, device=d),),         # the book's column of weights
    lambda d: (weights(4, 6, seed=1, device=d),),            # a layer's weight matrix
    lambda d: (weights(9, seed=2, device=d),),               # a 1-D vector
    lambda d: (weights(2, 3, 4, seed=3, device=d),))         # and any other shape
test_float64_stays_float64 = recipe.values(1, lambda d: (weights(5, 1, seed=4, dtype=F64, device=d),),
                                           lambda d: (weights(3, 4, seed=5, dtype=F64, device=d),))
GRADIENT_HINT = ("build the penalty from w with differentiable torch operations (.item(), float() and "
                 "torch.tensor(...) cut it off autograd); with the 1/2, its gradient is w itself.")


@pytest.mark.points(2)
def test_gradient_is_w(student, device):
    """recipe.gradient draws its output gradient with the result's shape, which a scalar has not: done here."""
    w = weights(6, 1, seed=6, dtype=F64, device=device)
    call = about(w)
    recipe.checked(student, (w,), requires_grad=[0])
    G = torch.tensor(1.7, dtype=F64, device=device)
    got = expect_backward(student, [G], call, GRADIENT_HINT).args[0]
    if got is None:
        raise Mistake(f"no gradient reached w through {call}.", GRADIENT_HINT)
    expect_close(got, G * w, f"the gradient of {call} with respect to w, for an output gradient of 1.7 "
                             "(expected 1.7 * w)", GRADIENT_HINT, check_dtype=False)


test_input_not_modified = recipe.unmodified(
    1, lambda d: (weights(5, 3, seed=7, device=d),), names=["w"],
    hint="w.pow_(2), w **= 2 or w.mul_(w) square the model's own weights; use w ** 2, which makes a new tensor.")


@pytest.mark.points(1)
def test_returns_a_scalar(student, device):
    for w in (weights(8, 1, seed=8, device=device), weights(3, 5, seed=9, device=device)):
        got = student(w)
        expect_shape(got, (), about(w), lambda: diagnose(w, got))


@pytest.mark.points(1)
def test_special_values(student, device):
    cases = [(torch.zeros(4, 1, device=device), "all-zero weights (the penalty is 0)"),
             (torch.tensor([[-3.0]], device=device), "a single weight -3 (the penalty is 4.5)"),
             (torch.tensor([[1e18], [-2e18]], device=device), "weights of size 1e18 (squares near 1e36 still fit "
                                                             "in float32)")]
    for w, what in cases:
        got = student(w)
        expect_close(got, truth(w), f"{about(w)}, {what}", lambda: diagnose(w, got))


test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(5, 1, device="meta"),),
    real_inputs=lambda d: (weights(4, 1, seed=10, device=d),),
    hint="compute the penalty from w itself ((w ** 2).sum() / 2); a total started with torch.zeros(...) or "
         "torch.tensor(...) without device= lives on the CPU.", shape=())
