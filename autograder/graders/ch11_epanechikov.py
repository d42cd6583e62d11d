"""Grader for ch11-epanechikov: the book's `epanechikov(x)` kernel, max(0, 1 - |x|), elementwise (book 11.2).

The truth is torch.clamp(1 - |x|, min=0). The book's kernel is this triangle (its name notwithstanding), and the
lesson says so; 3/4 (1 - x^2) is named as a mistake. The kernel is applied to whole matrices of distances, and
its gradient matters when kernel widths are learned (the book's exercise 2), so shapes, dtypes, gradients,
devices and speed are checked too.
"""
import torch

from autograder.checks import Mistake, StudentError, expect_close, expect_shape, first_matching_hint, seeded
from autograder.recipe import Recipe

FORMULA = "epanechikov(x) = max(0, 1 - |x|), elementwise"
PY_HINT = ("Python's max() and abs() work on single numbers; on a tensor, max(0, t) asks whether 0 < t, which "
           "has no single answer. Use tensor operations: torch.clamp(1 - x.abs(), min=0), torch.relu(1 - x.abs()) "
           "or torch.maximum(1 - x.abs(), torch.zeros_like(x)).")
MAX_HINT = ("torch.max(t, 0) is not an elementwise maximum with 0: it reduces over dimension 0 and returns "
            "(values, indices). Use torch.clamp(t, min=0), torch.maximum(t, torch.zeros_like(t)) or "
            "torch.max(t, torch.zeros_like(t)) (two tensors: elementwise).")
DTYPE_HINT = ("keep x's dtype: 1 - x.abs() and torch.clamp keep it; .float(), torch.tensor(...) or a dtype=torch.float32 "
              "turn float64 into float32.")
INPLACE_HINT = ("x.abs_(), x.neg_() or x.clamp_(...) change the caller's tensor (autograd refuses that on a tensor "
                "that requires a gradient): use x.abs(), 1 - x.abs() and torch.clamp(..., min=0), which make new "
                "tensors.")
DEVICE_HINT = ("make the zeros with the input: torch.zeros_like(x) (or torch.clamp / torch.relu, which need none). "
               "torch.zeros(x.shape) lives on the CPU, and mixing it with a tensor on a GPU is an error.")


def about(x):
    dtype = "" if x.dtype == torch.float32 else f"{str(x.dtype)[6:]} "
    return f"epanechikov(x) for {dtype}x of shape {tuple(x.shape)}"


def truth(x):
    return torch.clamp(1 - x.abs(), min=0)


def diagnose(x, got) -> str:
    if isinstance(got, (tuple, list)):
        return MAX_HINT
    if not isinstance(got, torch.Tensor) or got.shape != x.shape:
        return f"the kernel is elementwise: the result has the shape of x. {FORMULA}."
    x = x.to(torch.float64)
    return first_matching_hint(got, {
        "the result is 1 - |x| without the max(0, ...): points farther than 1 get negative weights; clamp at 0 "
        "(torch.clamp(1 - x.abs(), min=0)).": lambda: 1 - x.abs(),
        "the result is max(0, 1 - x), not max(0, 1 - |x|): the kernel is symmetric, use x.abs().":
            lambda: torch.clamp(1 - x, min=0),
        "that is 3/4 (1 - x^2) (the Epanechikov kernel of statistics); the book's epanechikov, which this lesson "
        "uses, is the triangle max(0, 1 - |x|).": [lambda: torch.clamp(0.75 * (1 - x ** 2), min=0),
                                                 lambda: torch.clamp(1 - x ** 2, min=0)],
        "that is the boxcar kernel (1 where |x| < 1): the weight falls off linearly, 1 - |x|.":
            lambda: (x.abs() < 1).double(),
    }, default=f"{FORMULA}: 1 at x = 0, falling linearly to 0 at |x| = 1, and 0 beyond.")


def check_values(args, got, call):
    (x,) = args
    hint = lambda: diagnose(x, got)  # noqa: E731 - only if a check fails
    if isinstance(got, (tuple, list)):
        raise Mistake(f"{call} returned a {type(got).__name__}, expected a tensor.", MAX_HINT)
    expect_shape(got, x.shape, call, hint)
    if got.dtype != x.dtype:
        raise Mistake(f"{call} returned dtype {got.dtype}, expected {x.dtype} (the input's).", DTYPE_HINT)
    expect_close(got, truth(x), call, hint)


def error_hint(e: StudentError):
    if "ambiguous" in e.message:
        return PY_HINT
    if "device" in e.message.lower():
        return DEVICE_HINT
    if "in-place" in e.message:
        return INPLACE_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)


def grid(device, dtype=torch.float32):
    """-2.5, -2.4, ..., 2.5: 0, +-1 and points beyond 1 on both sides."""
    return (torch.arange(-25, 26, dtype=torch.float64).div(10).to(dtype).to(device),)


def distances(*shape, seed=0, dtype=torch.float32):
    return lambda device: (seeded(*shape, seed=seed, dtype=dtype, device=device, scale=1.2),)


def away_from_kinks(device):
    """Points in (-2.5, 2.5), none within 0.05 of 0 or +-1 (where the kernel has no derivative). float32, so that
    a wrong dtype costs test_float64_in_float64_out alone."""
    x = torch.linspace(-2.45, 2.45, 36)
    x = x[((x.abs() - 1).abs() > 0.05) & (x.abs() > 0.05)]
    return (x.reshape(-1, 1).expand(-1, 2).clone().to(device),)


def meta(device):
    return (torch.empty(4, 6, device="meta"),)


# the properties (gradient, input untouched, any device, speed) count only for a correct result
test_values_on_a_grid = recipe.values(3, grid)
test_matrices_of_distances = recipe.values(
    2, distances(5, 7, seed=1), distances(2, 3, 4, seed=2), distances(1, seed=3))
test_float64_in_float64_out = recipe.values(1, lambda d: grid(d, torch.float64), distances(6, 4, seed=4,
                                                                                          dtype=torch.float64))
test_gradient_matches_autograd = recipe.gradient(
    1.5, away_from_kinks, truth=truth, names=["x"],
    hint="build the result from x with differentiable torch operations (abs, clamp, relu, maximum, where); "
         "no .detach(), .item(), NumPy or torch.tensor(...).")
test_input_not_modified = recipe.unmodified(
    0.5, distances(4, 5, seed=5), names=["x"],
    hint=INPLACE_HINT)
test_result_on_the_inputs_device = recipe.on_device(1, meta, distances(3, 4, seed=6), hint=DEVICE_HINT,
                                                    shape=(4, 6))
test_speed_against_reference = recipe.speed(
    1, distances(100, 100, seed=7),
    hint="apply the formula to the whole tensor at once (x.abs(), torch.clamp) instead of looping over its "
         "elements in Python.")
