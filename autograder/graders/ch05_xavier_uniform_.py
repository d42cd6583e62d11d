"""Grader for ch05-xavier_uniform_: `xavier_uniform_(W)` fills the 2-D tensor W in place with independent draws
from U(-a, a), a = sqrt(6 / (n_in + n_out)) where (n_in, n_out) are W's dimensions, and returns W (book 5.4.2).

Random output, so the checks are statistical, on seeded draws (torch.manual_seed before each call): every value
within +-a, the largest within a few expected gaps of a, the mean and the variance (a^2 / 3) within five standard
errors. For a correct sampler each check fails with probability below one in a million; the seeds are fixed, so a
grading is reproducible. The result is judged on what the call returns, or on W itself when it returns nothing,
so that forgetting `return W` costs only the test about it.
"""
import math

import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_fast, expect_not_used, expect_shape, seeded,
                               show)

# nn.init's initializers that compute the scale themselves (found in the code's text: they draw with uniform_ /
# normal_ like any solution, so nothing at run time tells them apart); nn.init.uniform_ is allowed
BANNED = {"functions": ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"], "aten": []}
UNIFORM_HINT = ("with torch.no_grad(): W.uniform_(-a, a), where a = math.sqrt(6 / (n_in + n_out)) and "
                "n_in, n_out = W.shape.")
NO_GRAD_HINT = ("W here is a leaf that requires gradients (an nn.Parameter), and autograd forbids changing such a "
                "tensor in place: fill it inside `with torch.no_grad():`, as nn.init does.")


def filled(*shape, dtype=torch.float32, device="cpu"):
    """A tensor to initialise, filled with 7s, so that an entry the student did not fill shows."""
    return torch.full(shape, 7.0, dtype=dtype, device=device)


def bound(W) -> float:
    n_in, n_out = W.shape
    return math.sqrt(6.0 / (n_in + n_out))


def about(W):
    dtype = "" if W.dtype == torch.float32 else f" {str(W.dtype)[6:]}"
    return f"xavier_uniform_(W) for{dtype} W of shape {tuple(W.shape)}"


def diagnose(W, values) -> str:
    """The usual mistake behind draws that are not U(-a, a): found from the largest value (the bound used)."""
    n_in, n_out = W.shape
    v = values.double().reshape(-1)
    top, a = v.abs().max().item(), bound(W)
    if v.min().item() >= 0 and abs(v.mean().item() - top / 2) < 0.05 * top:
        return ("all values are >= 0: torch.rand is uniform on [0, 1); U(-a, a) is a * (2 * torch.rand_like(W) - 1), "
                "or " + UNIFORM_HINT)
    if top > a * 1.5 and abs(v.var().item() - a * a / 3) < 0.1 * a * a / 3:
        return ("the variance is right but values go beyond +-a: that is a normal distribution (xavier_normal_); "
                "draw from the uniform one: " + UNIFORM_HINT)
    s = n_in + n_out
    for b, why in [(math.sqrt(6.0 / n_in), "only n_in = W.shape[0]"), (math.sqrt(6.0 / n_out), "only n_out = W.shape[1]"),
                   (math.sqrt(2.0 / s), "the standard deviation sqrt(2 / (n_in + n_out)) as the bound"),
                   (6.0 / s, "6 / (n_in + n_out) without the square root"),
                   (math.sqrt(3.0 / s), "sqrt(3 / (n_in + n_out))"),
                   (math.sqrt(6.0 / (n_in * n_out)), "the product n_in * n_out instead of the sum"),
                   (math.sqrt(6.0 / (2 * n_in)), "2 * W.shape[0] instead of n_in + n_out"),
                   (math.sqrt(12.0 / s), "twice the variance (a range of 2a drawn on each side)"),
                   (1.0, "the range [-1, 1] without the Xavier scale")]:
        if abs(top - b) <= 0.01 * b:
            return (f"your values reach {top:.4g}, which fits the bound {b:.4g} from {why}. Xavier's bound is "
                    f"a = sqrt(6 / (n_in + n_out)) = sqrt(6 / ({n_in} + {n_out})) = {a:.4g}: " + UNIFORM_HINT)
    return "draw every entry independently from U(-a, a): " + UNIFORM_HINT


def check_draw(W, values, call):
    """`values` look like independent U(-a, a) draws (W: the tensor sent, for its shape and dtype)."""
    expect_shape(values, W.shape, call, "keep W's shape: fill W itself.")
    if values.dtype != W.dtype:
        raise Mistake(f"{call} gave dtype {values.dtype}, expected {W.dtype} (W's own).", "fill W itself, in place.")
    v = values.double().reshape(-1)
    n, a = v.numel(), bound(W)
    if not torch.isfinite(v).all():
        raise Mistake(f"{call} gave NaN or inf.", UNIFORM_HINT)
    if (v == 7.0).any():
        raise Mistake(f"{call} left {int((v == 7.0).sum())} of the {n} entries of W as they were (7.0).",
                      "fill every entry of W: " + UNIFORM_HINT)
    top, mean, var = v.abs().max().item(), v.mean().item(), v.var().item()
    where = f"{call}: a = sqrt(6 / ({W.shape[0]} + {W.shape[1]})) = {a:.5g}"
    if top > a * (1 + 1e-6):
        raise Mistake(f"{where}, but {int((v.abs() > a * (1 + 1e-6)).sum())} of the {n} values lie outside "
                      f"[-a, a] (the largest in size: {top:.5g}).", diagnose(W, values))
    least = a * (1 - 20 / n)   # P(max |w| < least) = (1 - 20 / n) ** n < e ** -20 for a correct draw
    if top < least:
        raise Mistake(f"{where}, but the largest value in size is {top:.5g}: {n} draws from U(-a, a) come within "
                      f"{a - least:.2g} of the bound.", diagnose(W, values))
    mean_tol = 5 * a / math.sqrt(3 * n)
    var_tol = 5 * math.sqrt(4 * a ** 4 / 45 / n)
    if abs(mean) > mean_tol:
        raise Mistake(f"{where}; the mean of the {n} values is {mean:.4g}, expected 0 (within +-{mean_tol:.2g}).",
                      diagnose(W, values))
    if abs(var - a * a / 3) > var_tol:
        raise Mistake(f"{where}; the variance of the {n} values is {var:.4g}, expected a^2 / 3 = {a * a / 3:.4g} "
                      f"(within +-{var_tol:.2g}).", "the values should spread evenly over [-a, a]: " + UNIFORM_HINT)


def draw(student, W, seed, what="", **run):
    """Call with W; return (the values to judge: the result, or W after the call when nothing was returned,
    the outcome)."""
    call = about(W) + what
    try:
        out = student.run(W, seed=seed, return_args=True, **run)
    except StudentError as e:
        hint = NO_GRAD_HINT if "leaf" in e.message.lower() or "in-place" in e.message.lower() else UNIFORM_HINT
        as_mistake(e, call, hint)
    values = out.value if isinstance(out.value, torch.Tensor) else out.args[0]
    check_draw(W, values, call)
    return values, out


@pytest.mark.points(2.5)
def test_statistics_of_a_draw(student, device):
    draw(student, filled(300, 100, device=device), seed=0)


@pytest.mark.points(2)
def test_other_shapes_and_dtypes(student, device):
    draw(student, filled(20, 500, device=device), seed=1)
    draw(student, filled(64, 64, dtype=torch.float64, device=device), seed=2)
    draw(student, filled(1, 2000, device=device), seed=3)


@pytest.mark.points(1.5)
def test_fills_W_in_place_and_returns_it(student, device):
    W = filled(200, 50, device=device)
    call = about(W)
    _, out = draw(student, W, seed=4)
    after = out.args[0]
    if bool((after == 7.0).all()):
        raise Mistake(f"{call} left W as it was (all 7.0) and returned a new tensor; the trailing _ means that W "
                      "itself is filled, in place.", UNIFORM_HINT + " Then return W.")
    if not isinstance(out.value, torch.Tensor):
        raise Mistake(f"{call} filled W but returned {show(out.value)}; return W itself (as nn.init's functions do, "
                      "so that calls can be chained).", "end with `return W`.")
    if not torch.equal(out.value, after):
        raise Mistake(f"{call} returned a tensor different from the W it filled.",
                      "fill W once and return that same W.")


@pytest.mark.points(1)
def test_works_on_a_parameter(student, device):
    """An nn.Parameter (a leaf that requires gradients): in-place changes only under torch.no_grad()."""
    draw(student, filled(30, 100, device=device), seed=5, what=" that requires gradients (as an nn.Parameter does)",
         requires_grad=[0])


@pytest.mark.points(1)
def test_a_fresh_draw_from_torchs_generator(student, device):
    W = filled(40, 60, device=device)
    call = about(W)
    first, _ = draw(student, W, seed=6)
    other, _ = draw(student, W, seed=7)
    again, _ = draw(student, W, seed=6)
    if torch.equal(first, other):
        raise Mistake(f"{call} gave the same values after torch.manual_seed(6) and after torch.manual_seed(7): the "
                      "draw must come from torch's generator, fresh at each call.",
                      "do not seed inside the function; " + UNIFORM_HINT)
    if not torch.equal(first, again):
        raise Mistake(f"{call} gave different values after the same torch.manual_seed(6) twice: draw with torch's "
                      "random number generator (W.uniform_, torch.rand_like), not Python's random or NumPy's, so "
                      "that torch.manual_seed makes an initialization repeatable.", UNIFORM_HINT)


@pytest.mark.points(1)
def test_written_from_scratch(student, device):
    W = filled(50, 40, device=device)
    _, out = draw(student, W, seed=8, watch=BANNED)
    expect_not_used(out.seen, BANNED, about(W), "compute a = sqrt(6 / (n_in + n_out)) yourself and fill W with "
                    "W.uniform_(-a, a); nn.init.xavier_uniform_ (and its relatives) is what this exercise builds.")


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    W = filled(192, 256, device=device)
    draw(student, W, seed=9)
    expect_fast(student, reference, W, threshold=10, call=about(W),
                hint="fill the whole tensor at once (W.uniform_(-a, a)), not entry by entry in a Python loop.")
