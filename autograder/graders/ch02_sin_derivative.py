"""Grader for ch02-sin_derivative: `sin_derivative(x)`, the derivative of sin at every entry of x, computed by
autograd without cos (book 2.5.2 and 2.5, exercise 4). The truth is torch.cos in float64.

Two checks are particular to this exercise. The ban: `cos` may not appear in the student's code (text) nor be called
from Python (torch function level). And the evidence that autograd did the differentiating: sin's backward formula
is grad * cos(x), so when autograd differentiates sin, aten.cos runs inside the call (at the dispatcher level, which
the autograd engine reaches directly, without the Python-level call the ban looks for). sin(x + pi/2) or a
difference quotient give the right numbers without it."""
import pytest
import torch

from autograder.checks import Mistake, expect_close, first_matching_hint, seeded
from autograder.recipe import Recipe

BANNED = {"functions": ["cos"]}       # torch.cos, Tensor.cos, and the word in the text (math.cos, np.cos, ...)
AUTOGRAD_WATCH = {"aten": ["cos"]}    # sin's backward runs aten.cos: the trace that autograd did the work
FORMULA = ("make a copy of x that requires grad (x.detach().requires_grad_(True)), compute y = torch.sin of it, "
           "call y.backward(torch.ones_like(y)) (or y.sum().backward()), and return the copy's .grad.")
NONSCALAR_HINT = ("backward() needs a scalar, or a gradient= tensor of y's shape: y.sum().backward() or "
                  "y.backward(torch.ones_like(y)). torch.ones(len(y)) has the wrong shape for a matrix (and a "
                  "0-dimensional y has no len()).")
DEVICE_HINT = ("make the gradient= tensor on y's device and with its shape: torch.ones_like(y) (or use "
               "y.sum().backward()); torch.ones(len(y)) is made on the CPU.")


def inputs(*shape, dtype=torch.float32, device="cpu", seed=0):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=3.0)


def truth(x):
    return torch.cos(x.to(torch.float64))


def diagnose(x, got) -> str:
    if isinstance(got, torch.Tensor) and got.dtype != x.dtype:
        return "keep x's dtype: do not cast (x.float(), torch.tensor(..., dtype=...))."
    t = x.to(torch.float64)
    return first_matching_hint(got, {
        "that is sin(x) itself: return the gradient (the copy's .grad), not y.": lambda: torch.sin(t),
        "that is twice the derivative: gradients accumulate, and the graph was differentiated twice into the same "
        ".grad. Call backward once, on a fresh copy of x.": lambda: 2 * torch.cos(t),
        "that is minus the derivative of sin (the derivative of cos): differentiate torch.sin.": lambda: -torch.sin(t),
    }, default=FORMULA)


def about(x):
    dtype = "" if x.dtype == torch.float32 else f"{str(x.dtype)[6:]} "
    return f"sin_derivative(x) for {dtype}x of shape {tuple(x.shape)}"


def check_values(args, got, call):
    (x,) = args
    expect_close(got, truth(x).to(x.dtype), call, lambda: diagnose(x, got))


def error_hint(e):
    message = e.message.lower()
    if "scalar outputs" in message or "mismatch in shape" in message or "len() of a 0-d" in message:
        return NONSCALAR_HINT
    if "does not require grad" in message:
        return ("y has no autograd history: make the copy of x require grad BEFORE computing y "
                "(x = x.detach().requires_grad_(True); y = torch.sin(x)).")
    if "device" in message:
        return DEVICE_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_the_derivative = recipe.values(3, lambda d: (inputs(50, device=d),))
test_scalar_matrix_and_float64 = recipe.values(
    2, lambda d: (torch.tensor(0.5, device=d),),                          # 0-dimensional: no len()
    lambda d: (inputs(4, 5, device=d, seed=1),),                          # a matrix: backward needs its shape
    lambda d: (inputs(2, 3, 4, dtype=torch.float64, device=d, seed=2),))
test_written_without_cos = recipe.from_scratch(
    1, lambda d: (inputs(20, device=d, seed=3),), BANNED,
    hint="let autograd differentiate torch.sin; cos (torch.cos, x.cos(), math.cos, np.cos) is the answer this "
         "exercise asks you not to use, and the word may not appear in your cell.")
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (inputs(8, device=d, seed=4),), names=["x"],
    hint="x.sin_() or x += ... change the caller's tensor; compute y = torch.sin(x) on a detached copy.")
test_result_on_the_inputs_device = recipe.on_device(   # vectors: torch.ones(len(y)) fails here on the device only
    1.5, meta_inputs=lambda d: (torch.empty(7, device="meta"),),
    real_inputs=lambda d: (inputs(7, device=d, seed=5),), hint=DEVICE_HINT, shape=(7,))


@pytest.mark.points(2)
def test_autograd_did_the_differentiating(student, device):
    x = inputs(30, dtype=torch.float64, device=device, seed=6)
    out = recipe.checked(student, (x,), watch=AUTOGRAD_WATCH)
    if "aten.cos" not in out.seen:
        raise Mistake(f"{about(x)} gave the right numbers, but autograd did not differentiate sin to get them "
                      "(sin's backward never ran).",
                      "no shortcut through the answer: sin(x + pi / 2) or a difference quotient "
                      "(sin(x + h) - sin(x)) / h avoid autograd. " + FORMULA)
