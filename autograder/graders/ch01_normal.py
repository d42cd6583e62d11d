"""Grader for ch01-normal: `normal(x, mu, sigma)`, the density of N(mu, sigma^2) at each entry of x (book 3.1.3).

The truth is torch.distributions.Normal's log_prob, exponentiated, in float64."""
import math

import pytest
import torch

from autograder.checks import Mistake, expect_backward, expect_close, first_matching_hint, seeded
from autograder.recipe import Recipe

# the shortcut the exercise asks the student to write out (names found in the text of the solution)
BANNED = {"functions": ["Normal", "log_prob", "distributions", "pdf"]}
TORCH_EXP_HINT = ("use torch.exp on the tensor, not np.exp or math.exp: NumPy turns x into an array on the way, which "
                  "cuts autograd's graph and fails for tensors on a GPU (the book's listing works on NumPy arrays).")
FORMULA = "p(x) = 1 / sqrt(2 * pi * sigma**2) * exp(-(x - mu)**2 / (2 * sigma**2))."


def points_x(*shape, dtype=torch.float32, device="cpu", seed=0, scale=3.0):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=scale)


def truth(x, mu, sigma):
    """The density in float64 (on x's device), from torch's own distribution."""
    return torch.distributions.Normal(float(mu), float(sigma)).log_prob(x.to(torch.float64)).exp()


def diagnose(args, got) -> str:
    x, mu, sigma = args
    if isinstance(got, torch.Tensor) and got.dtype != x.dtype:
        return (f"x is {str(x.dtype)[6:]} and the result should be too: do not cast (x.float(), torch.tensor(..., "
                "dtype=...)); Python numbers such as math.pi keep the tensor's dtype.")
    x = x.to(torch.float64)
    c = 1 / math.sqrt(2 * math.pi * sigma**2)
    return first_matching_hint(got, {
        "the factor in front is 1 / sqrt(2 * pi * sigma**2): sigma is squared under the square root.":
            lambda: torch.exp(-0.5 * (x - mu)**2 / sigma**2) / math.sqrt(2 * math.pi * sigma),
        "operator precedence: 1 / math.sqrt(2 * math.pi) * sigma**2 multiplies by sigma**2. Put the whole product "
        "2 * pi * sigma**2 under the square root, in the denominator.":
            [lambda: torch.exp(-0.5 * (x - mu)**2 / sigma**2) / math.sqrt(2 * math.pi) * sigma**2,
             lambda: torch.exp(-0.5 * (x - mu)**2 / sigma**2) / math.sqrt(2 * math.pi) * sigma],
        "the factor 1 / sqrt(2 * pi * sigma**2) in front is missing: without it the area under the curve is not 1.":
            lambda: torch.exp(-0.5 * (x - mu)**2 / sigma**2),
        "the exponent is -(x - mu)**2 / (2 * sigma**2): the 1/2 is missing.":
            lambda: c * torch.exp(-(x - mu)**2 / sigma**2),
        "the exponent divides by sigma**2 (the variance), not by sigma.":
            [lambda: c * torch.exp(-0.5 * (x - mu)**2 / sigma), lambda: c * torch.exp(-(x - mu)**2 / (2 * sigma))],
        "the bell is centred at mu: the exponent uses (x - mu), not (x + mu).":
            lambda: c * torch.exp(-0.5 * (x + mu)**2 / sigma**2),
        "the exponent must be negative, -(x - mu)**2 / (2 * sigma**2); yours grows away from mu.":
            lambda: c * torch.exp(0.5 * (x - mu)**2 / sigma**2),
    }, default=FORMULA)


def about(x, mu, sigma):
    dtype = "" if x.dtype == torch.float32 else f"{str(x.dtype)[6:]} "
    return f"normal(x, mu={mu:g}, sigma={sigma:g}) for {dtype}x of shape {tuple(x.shape)}"


# float64 results to 1e-6 (relative): a constant computed in float32 (torch.tensor(math.pi), up to 1.2e-7 off) is a
# small loss of precision in a sound formula, not a mistake; the dtype itself is checked exactly
RTOL = {torch.float64: 1e-6}


def check_values(args, got, call):
    x = args[0]
    expect_close(got, truth(*args).to(x.dtype), call, lambda: diagnose(args, got), rtol=RTOL.get(x.dtype))


IN_PLACE_HINT = ("x -= mu or x /= sigma change the caller's tensor (and autograd refuses them on a tensor that "
                 "requires grad); write (x - mu) and / sigma**2 instead.")


def error_hint(e):
    """The hint for an error the student's call raised: NumPy on a tensor that requires grad (or on a GPU), or an
    in-place change of x."""
    message = e.message.lower()
    if "numpy" in message:
        return TORCH_EXP_HINT
    if "in-place" in message:
        return IN_PLACE_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)

test_matches_the_density = recipe.values(
    3, lambda d: (points_x(50, device=d), 0.5, 1.5),
    lambda d: (points_x(4, 5, device=d, seed=1), -1.0, 0.5))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (points_x(20, device=d, seed=3), 1.0, 2.0), names=["x", None, None],
    hint=IN_PLACE_HINT)
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (points_x(20, device=d, seed=4), 0.0, 1.0), BANNED,
    hint="write the formula with torch.exp; torch.distributions.Normal(...).log_prob and scipy.stats.norm.pdf are "
         "what this exercise asks you to write out.")
test_speed_against_reference = recipe.speed(
    1, lambda d: (points_x(20_000, device=d, seed=5), 0.0, 1.0),
    hint="apply the formula to the whole tensor at once (torch.exp(-0.5 * (x - mu)**2 / sigma**2)) instead of a "
         "Python loop over its entries.")
test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(7, device="meta"), 0.0, 1.0),
    real_inputs=lambda d: (points_x(7, device=d, seed=6), 0.0, 1.0),
    hint=TORCH_EXP_HINT + " Any new tensor belongs on x's device (torch.full_like(x, ...)).", shape=(7,))


GRADIENT_HINT = ("build the result from x with torch operations (torch.exp, arithmetic); np.exp, math.exp, .item(), "
                 ".detach() or torch.tensor(...) cut the graph.")


@pytest.mark.points(2)
def test_gradient_matches_autograd(student, device):
    """recipe.gradient, with the float64 tolerance of the values (RTOL) for the gradient as well."""
    args = (points_x(3, 4, dtype=torch.float64, device=device, seed=2), 0.25, 1.25)
    call = about(*args)
    recipe.checked(student, args, requires_grad=[0])
    G = seeded(3, 4, seed=9_001, dtype=torch.float64, device=device)
    got = expect_backward(student, [G], call, GRADIENT_HINT).args[0]
    if got is None:
        raise Mistake(f"no gradient reached x of {call}.", GRADIENT_HINT)
    leaf = args[0].clone().requires_grad_(True)
    truth(leaf, *args[1:]).backward(G)
    expect_close(got, leaf.grad, f"the gradient of {call} with respect to x", GRADIENT_HINT, check_dtype=False,
                 rtol=RTOL[torch.float64])


test_float64_peak_and_narrow_bell = recipe.values(
    1.5, lambda d: (points_x(6, dtype=torch.float64, device=d, seed=7), 2.0, 3.0),
    lambda d: (torch.tensor(0.75, device=d), 0.75, 0.5),           # a 0-dimensional x, at the peak
    lambda d: (points_x(9, device=d, seed=8, scale=0.02), 0.0, 0.01))   # a narrow bell, peak near 40
