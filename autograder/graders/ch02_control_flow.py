"""Grader for ch02-control_flow: `control_flow(a)`, the book's f(a) of 2.5.4 (double a until its norm reaches
1000; scale by 100 unless the entries sum to a positive number), and its gradient f(a) / a.

The truth is the book's function run in float64 on the grader's side. No input is all zeros: the book's loop never
ends there (a written question of the lesson), and the sandbox's time limit, not a test, is what meets that."""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, first_matching_hint,
                               seeded)
from autograder.recipe import Recipe

SPEC = ("b = 2a; while the norm of b (all entries) is < 1000: b = 2b; then c = b if b.sum() > 0, else c = 100b.")
GRADIENT_HINT = ("compute the result from a with tensor operations (a * 2, b * 2, 100 * b); .item(), float(), "
                 ".detach(), torch.tensor(...) or torch.no_grad() in the value cut autograd's graph (in a condition "
                 "they are fine): autograd records the loop's multiplications as they run.")
WHOLE_TENSOR_HINT = ("the loop and the if test the WHOLE tensor: b.norm() < 1000 (one norm of all entries) and "
                     "b.sum() > 0 (one sum); every entry is doubled the same number of times and takes the same "
                     "branch.")


def book_f(a):
    """The book's f (2.5.4), which is also the truth."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def wrong_variants(a):
    """What the usual mistakes return for a (float64), for first_matching_hint."""
    def loop(b, keep_going):
        while keep_going(b):
            b = b * 2
        return b

    def finish(b, positive=lambda b: b.sum() > 0, scale=lambda b: 100 * b):
        return b if positive(b) else scale(b)

    b0 = a * 2
    return {
        "the loop runs while the norm is < 1000 and stops at exactly 1000: with <= it doubles once more.":
            lambda: finish(loop(b0, lambda b: b.norm() <= 1000)),
        "c = b only when the sum is > 0 (strictly); a sum of exactly 0 takes the other branch, c = 100 * b.":
            lambda: finish(loop(b0, lambda b: b.norm() < 1000), positive=lambda b: b.sum() >= 0),
        "start from b = 2a, before the loop: an a whose norm is already >= 1000 is still doubled once.":
            lambda: finish(loop(a, lambda b: b.norm() < 1000)),
        "the branches are the other way round: c = b when the sum is > 0, otherwise c = 100 * b.":
            lambda: (lambda b: 100 * b if b.sum() > 0 else b)(loop(b0, lambda b: b.norm() < 1000)),
        "the else branch scales b (the doubled tensor) by 100, not a.":
            lambda: finish(loop(b0, lambda b: b.norm() < 1000), scale=lambda b: 100 * a),
        WHOLE_TENSOR_HINT: [
            lambda: (lambda b: torch.where(b > 0, b, 100 * b))(loop(b0, lambda b: b.norm() < 1000)),
            lambda: finish(loop(b0, lambda b: b.abs().sum() < 1000)),
        ],
    }


def diagnose(a, got) -> str:
    if isinstance(got, torch.Tensor) and got.dtype != a.dtype:
        return "keep a's dtype: do not cast (a.float(), torch.tensor(..., dtype=...))."
    return first_matching_hint(got, wrong_variants(a.to(torch.float64)), default=SPEC, rtol=1e-6, atol=1e-9)


def about(a):
    dtype = "" if a.dtype == torch.float32 else f"{str(a.dtype)[6:]} "
    if a.numel() <= 4:
        return f"control_flow(a) for {dtype}a = {[float(f'{v:.8g}') for v in a.reshape(-1).tolist()]}" + \
            (f" (shape {tuple(a.shape)})" if a.dim() != 1 else "")
    return f"control_flow(a) for {dtype}a of shape {tuple(a.shape)}"


def check_values(args, got, call):
    (a,) = args
    expect_close(got, book_f(a.to(torch.float64)).to(a.dtype), call, lambda: diagnose(a, got))


def error_hint(e):
    return ("b = a; b *= 2 changes the caller's a (b is the same tensor); write b = a * 2."
            if "in-place" in e.message else None)


recipe = Recipe(about, check_values, error_hint=error_hint)


def values(*data, dtype=torch.float32):
    return lambda d: (torch.tensor(data, dtype=dtype, device=d),)


def scalar(value, dtype=torch.float32):
    return lambda d: (torch.tensor(value, dtype=dtype, device=d),)


def random(*shape, seed, dtype=torch.float32, scale=1.0):
    return lambda d: (seeded(*shape, seed=seed, dtype=dtype, device=d, scale=scale),)


test_scalars = recipe.values(2, scalar(0.3), scalar(-0.7), scalar(2.5))
test_whole_tensor_conditions = recipe.values(
    2, values(1.5, -0.5, 2.0, -1.0, 0.25),        # mixed signs, positive sum
    values(0.4, 0.3, -2.0),                       # mixed signs, negative sum
    random(3, 4, seed=1))
test_boundaries = recipe.values(
    1.5, scalar(0.9765625),                       # 1000 / 1024: b reaches a norm of exactly 1000 and stops
    values(1.0, -1.0),                            # entries that sum to exactly 0: the else branch
    values(600.0, 800.0))                         # norm 1000 already: b = 2a, no loop
test_float64 = recipe.values(0.5, random(2, 3, seed=2, dtype=torch.float64, scale=0.01))
test_gradient_matches_autograd = recipe.gradient(
    2, random(5, seed=3, dtype=torch.float64), truth=book_f, names=["a"], hint=GRADIENT_HINT)
test_input_not_modified = recipe.unmodified(
    1, random(4, seed=4), names=["a"],
    hint="b = a; b *= 2 changes the caller's a (b is the same tensor, not a copy); write b = a * 2.")


@pytest.mark.points(1)
def test_gradient_is_f_over_a(student, device):
    """The book's check: for a scalar a, d = f(a) and a.grad == d / a."""
    a = torch.tensor(-0.37, dtype=torch.float64, device=device)
    call = about(a)
    out = recipe.checked(student, (a,), requires_grad=[0])
    d = out.value
    got = expect_backward(student, [torch.ones((), dtype=a.dtype, device=device)], call, GRADIENT_HINT).args[0]
    if got is None:
        raise Mistake(f"no gradient reached a through {call}.", GRADIENT_HINT)
    expect_close(got, (d / a).to(got.dtype), f"the gradient of {call} (the book's check: a.grad == d / a)",
                 GRADIENT_HINT, check_dtype=False)
