"""Grader for ch02-l2_norm: `l2_norm(X)`, the l2 norm of all entries of X (the Frobenius norm of a matrix), as a
0-dimensional tensor (book 2.3.11). The truth is torch.linalg.vector_norm over all entries, in float64."""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_on_input_device,
                               first_matching_hint, seeded)
from autograder.recipe import Recipe

# "norm" covers torch.norm, Tensor.norm and torch.linalg.norm in the text; the others are what torch reports
BANNED = {"functions": ["norm", "linalg_norm", "vector_norm", "linalg_vector_norm", "matrix_norm",
                        "linalg_matrix_norm", "dist", "frobenius_norm"],
          "aten": ["linalg_vector_norm", "linalg_matrix_norm", "linalg_norm", "norm", "frobenius_norm", "dist",
                   "nuclear_norm", "renorm"]}
SCALAR_HINT = ("return a 0-dimensional tensor: torch.sqrt((X * X).sum()). math.sqrt, .item() and float() give a "
               "Python number, which has no dtype, no device and no gradient.")
FORMULA = "square every entry, add them ALL up, then take the square root: torch.sqrt((X * X).sum())."


def tensor(*shape, dtype=torch.float32, device="cpu", seed=0):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=2.0)


def truth(X):
    return torch.linalg.vector_norm(X.to(torch.float64))


def diagnose(X, got) -> str:
    if not isinstance(got, torch.Tensor):
        return SCALAR_HINT
    if got.dtype != X.dtype:
        return "keep X's dtype: do not cast (X.float(), torch.tensor(...) of the result)."
    x = X.to(torch.float64)
    if got.dim() > 0:
        return ("sum over ALL entries: X.sum() with no dim gives a 0-dimensional result; sum(0) or sum(dim=...) "
                "gives one norm per column or row instead." if got.numel() > 1 else
                "return a 0-dimensional tensor (shape ()), like X.sum(); yours has an extra axis of length 1.")
    return first_matching_hint(got, {
        "you forgot the square root: that is the squared norm.": lambda: (x * x).sum(),
        "that is the l1 norm (the sum of absolute values); the l2 norm squares the entries, sums, then takes the "
        "square root.": lambda: x.abs().sum(),
        "square each entry BEFORE summing: sqrt((sum of x)**2) is |sum of x|, not the norm.": lambda: x.sum().abs(),
        "that is the largest absolute entry (the l-infinity norm), not the l2 norm.": lambda: x.abs().max(),
    }, default=FORMULA)


def about(X):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"l2_norm(X) for {dtype}X of shape {tuple(X.shape)}"


def check_values(args, got, call):
    (X,) = args
    expect_close(got, truth(X).to(X.dtype), call, lambda: diagnose(X, got))


IN_PLACE_HINT = "X **= 2, X.pow_(2) or X *= X change the caller's tensor; use X * X or X ** 2."


def error_hint(e):
    """Autograd's refusal of an in-place change is a change of X."""
    return IN_PLACE_HINT if "in-place" in e.message else None


recipe = Recipe(about, check_values, error_hint=error_hint)

test_vector_and_matrix = recipe.values(
    3, lambda d: (tensor(7, device=d),), lambda d: (tensor(5, 3, device=d, seed=1),),
    lambda d: (torch.ones(4, 9, device=d),))                                          # the book's: 6
test_more_axes_float64_and_one_entry = recipe.values(
    1.5, lambda d: (tensor(2, 3, 4, device=d, seed=2),),                              # book 2.3, exercise 9
    lambda d: (tensor(6, 2, dtype=torch.float64, device=d, seed=3),),
    lambda d: (torch.tensor([-3.0], device=d),))                                      # one negative entry: 3
GRADIENT_HINT = ("the gradient of the norm is X / l2_norm(X); build the result from X with torch operations "
                 "(torch.sqrt, sum), not math.sqrt, .item() or torch.tensor(...), which cut the graph.")


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device):
    """recipe.gradient draws a random output gradient of the result's shape, which a 0-dimensional result does
    not fit (seeded() needs a shape); the same check, by hand, with the output gradient 0.7."""
    X = tensor(3, 4, dtype=torch.float64, device=device, seed=4)
    call = about(X)
    recipe.checked(student, (X,), requires_grad=[0])
    G = torch.tensor(0.7, dtype=torch.float64, device=device)
    got = expect_backward(student, [G], call, GRADIENT_HINT).args[0]
    if got is None:
        raise Mistake(f"no gradient reached X through {call}.", GRADIENT_HINT)
    leaf = X.clone().requires_grad_(True)
    truth(leaf).backward(G)
    expect_close(got, leaf.grad, f"the gradient of {call} with respect to X", GRADIENT_HINT, check_dtype=False)


test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (tensor(4, 5, device=d, seed=5),), names=["X"],
    hint=IN_PLACE_HINT)
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (tensor(4, 5, device=d, seed=6),), BANNED,
    hint="write it with *, sum and torch.sqrt; torch.norm, Tensor.norm, torch.linalg.norm / vector_norm / "
         "matrix_norm and torch.dist are what this exercise builds.")
test_speed_against_reference = recipe.speed(
    1, lambda d: (tensor(50_000, device=d, seed=7),),
    hint="square and sum the whole tensor at once ((X * X).sum()) instead of a Python loop over its entries.")
DEVICE_HINT = ("return the norm as a tensor computed from X (torch.sqrt(...)): torch.tensor(math.sqrt(...)) is a "
               "new tensor on the CPU, whatever X's device, and a new tensor you need belongs on X.device.")


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    """The recipe's device check (the result of a real call comes back from the grading device; a call with "meta"
    inputs keeps them there), except that a branch on the data (`if s == 0:`), which "meta" tensors cannot
    answer, proves nothing either way and is not held against a solution that works on the real device."""
    X = tensor(3, 4, device=device, seed=8)
    got = recipe.checked(student, (X,)).value
    sent = str(getattr(got, "sent_from", device))
    if torch.device(sent).type != device.type:
        raise Mistake(f"{about(X)} with X on {device.type} returned a tensor on {sent}.", DEVICE_HINT)
    call = "l2_norm(X) for X of shape (3, 4) on another device"
    try:
        got = student(torch.empty(3, 4, device="meta"))
    except StudentError as e:
        if "cannot be called on meta tensors" in e.message:
            return
        got = e
    expect_on_input_device(got, call, DEVICE_HINT, shape=())


@pytest.mark.points(0.5)
def test_zero_tensor_has_norm_zero(student, device):
    X = torch.zeros(3, 4, device=device)
    call = "l2_norm(X) for X = torch.zeros(3, 4)"
    hint = ("the norm of zeros is 0. If you scale by the largest entry first (to avoid overflow), that scale is 0 "
            "here and X / 0 is NaN: return 0 in that case.")
    try:
        got = student(X)
    except StudentError as e:
        as_mistake(e, call, hint)
    expect_close(got, torch.zeros((), device=device), call, hint)
