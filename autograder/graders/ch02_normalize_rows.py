"""Grader for ch02-normalize_rows: `normalize_rows(A)` divides each row of a matrix by its sum (book 2.1.4, 2.3.7).

The truth is A / A.sum(dim=1, keepdim=True) computed in float64. The lesson's point is keepdim: without it the row
sums (shape (n,)) broadcast along the columns, which raises for n != m and silently divides column j by the sum of
row j for a square matrix."""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_tensor, first_matching_hint,
                               seeded, show)
from autograder.recipe import Recipe

BANNED = {"functions": ["normalize"]}
KEEPDIM_HINT = ("without keepdim=True, A.sum(dim=1) has shape (n,), and broadcasting lines it up with the columns "
                "of A: (n, m) / (n,) fails when n != m, and for a square matrix it silently divides column j by the "
                "sum of row j. Keep the axis: A.sum(dim=1, keepdim=True) has shape (n, 1).")
FORMULA = "divide each entry by the sum of its own row: the result's rows sum to 1 (A / row sums of shape (n, 1))."


def counts(n, m, dtype=torch.float32, device="cpu", seed=0):
    """Non-negative entries, each row with a positive sum (as the task promises)."""
    return seeded(n, m, seed=seed, dtype=dtype, device=device, scale=5.0, shift=0.1, uniform=True)


def truth(A):
    A = A.to(torch.float64)
    return A / A.sum(dim=1, keepdim=True)


def diagnose(A, got) -> str:
    if isinstance(got, torch.Tensor) and got.dtype != A.dtype and A.is_floating_point():
        return "keep A's dtype: do not cast (A.float(), torch.tensor(..., dtype=...))."
    n, m = A.shape
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (n, n) and m == 1:
        return KEEPDIM_HINT
    a = A.to(torch.float64)
    return first_matching_hint(got, {
        KEEPDIM_HINT: lambda: a / a.sum(1) if n == m else None,
        "you divided by the column sums (dim 0): each ROW must sum to 1, so sum along dim=1.":
            lambda: a / a.sum(0, keepdim=True),
        "you divided by the sum of the whole matrix; divide each row by its own sum (sum along dim=1, keepdim=True).":
            lambda: a / a.sum(),
        "you divided by the row means (sum / m); divide by the row sums so that each row sums to 1.":
            lambda: a / a.mean(1, keepdim=True),
        "you multiplied by the row sums; divide by them.": lambda: a * a.sum(1, keepdim=True),
        "you took a softmax (exp first); here the entries themselves are divided by their row's sum.":
            lambda: torch.softmax(a, 1),
        "// is floor division: it rounds every proportion down to 0 (or 1). Use true division /, which gives "
        "floating-point proportions.": lambda: torch.div(a, a.sum(1, keepdim=True), rounding_mode="floor"),
    }, default=FORMULA)


def about(A):
    dtype = "" if A.dtype == torch.float32 else f"{str(A.dtype)[6:]} "
    return f"normalize_rows(A) for {dtype}A of shape {tuple(A.shape)}"


def check_values(args, got, call):
    (A,) = args
    if A.is_floating_point():
        expect_close(got, truth(A).to(A.dtype), call, lambda: diagnose(A, got))
        return
    # integer counts: floating-point proportions, in whichever floating dtype the division gives
    expect_tensor(got, call, diagnose(A, got))
    if not got.is_floating_point():
        raise Mistake(f"{call} for integer counts returned {show(got)}; proportions are fractions, so the result "
                      "must be floating point.", diagnose(A, got))
    expect_close(got, truth(A).to(got.dtype), call, lambda: diagnose(A, got), check_dtype=False)


IN_PLACE_HINT = "A /= ... or A.div_(...) change the caller's matrix; return A / ... instead."


def error_hint(e):
    """A shape error from broadcasting (n,) against (n, m) is the missing keepdim; autograd's refusal of an
    in-place change is a change of A."""
    if "must match the size" in e.message:
        return KEEPDIM_HINT
    if "in-place" in e.message or "can't be cast to the desired output type" in e.message:
        return IN_PLACE_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)

test_rows_sum_to_one = recipe.values(
    3, lambda d: (counts(5, 4, device=d),), lambda d: (counts(3, 7, device=d, seed=1),))
test_square_matrix = recipe.values(1.5, lambda d: (counts(4, 4, device=d, seed=2),))
test_one_row_one_column_and_float64 = recipe.values(
    1, lambda d: (counts(1, 6, device=d, seed=3),),                        # a single row
    lambda d: (counts(5, 1, device=d, seed=4),),                           # a single column: all ones
    lambda d: (counts(3, 5, dtype=torch.float64, device=d, seed=5),))
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: (counts(3, 4, dtype=torch.float64, device=d, seed=6),), truth=truth, names=["A"],
    hint="the result must come from A through torch operations; dividing by A.sum(...).detach() or by a "
         "torch.tensor(...) of the sums leaves out how the sums depend on A.")
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (counts(4, 3, device=d, seed=7),), names=["A"],
    hint=IN_PLACE_HINT)
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: (counts(4, 3, device=d, seed=8),), BANNED,
    hint="divide by the row sums yourself; torch.nn.functional.normalize is what this exercise builds.")
test_speed_against_reference = recipe.speed(
    0.5, lambda d: (counts(2048, 32, device=d, seed=9),),
    hint="one division of the whole matrix by its row sums (shape (n, 1)) instead of a Python loop over rows.")
test_result_on_the_inputs_device = recipe.on_device(
    0.5, meta_inputs=lambda d: (torch.empty(3, 4, device="meta"),),
    real_inputs=lambda d: (counts(3, 4, device=d, seed=10),), shape=(3, 4))


@pytest.mark.points(0.5)
def test_integer_counts_give_proportions(student, device):
    A = torch.tensor([[1, 3, 0, 4], [2, 2, 2, 2], [0, 0, 5, 0]], device=device)
    call = "normalize_rows(A) for integer counts A = [[1, 3, 0, 4], [2, 2, 2, 2], [0, 0, 5, 0]]"
    try:
        got = student(A)
    except StudentError as e:
        as_mistake(e, call, "an integer A is fine with true division /: A / A.sum(dim=1, keepdim=True) gives "
                            "floating-point proportions.")
    check_values((A,), got, call)
