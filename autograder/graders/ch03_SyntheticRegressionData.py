"""Grader for ch03-SyntheticRegressionData: `SyntheticRegressionData(...)(X)` (book 3.3). TODO: one line on what it computes and the truth used."""
import pytest
import torch

from autograder.checks import Mistake, expect_close, first_matching_hint, seeded
from autograder.recipe import Recipe

# TODO: the library ops this exercise re-implements (names as torch reports them), or None if it has none
BANNED = {"functions": [], "aten": []}


def inputs(device, seed=0, dtype=torch.float32):
    """TODO: the arguments of one call."""
    return (seeded(4, 5, seed=seed, dtype=dtype, device=device),)


def truth(X):
    """TODO: the expected result, with torch's own ops (float64, on the CPU, where precision matters)."""
    raise NotImplementedError("write the truth of this grader")


def about(X):
    return f"SyntheticRegressionData(...)(X) for X of shape {tuple(X.shape)}"


def diagnose(args, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    return first_matching_hint(got, {
        # "the hint that names the mistake": lambda: <the wrong answer that mistake gives>,
    }, default="TODO: what the result should be")


def check_values(args, got, call):
    expect_close(got, truth(*args), call, lambda: diagnose(args, got))


recipe = Recipe(about, check_values, target=lambda impl, device: impl.new(5, 3, seed=0))

test_matches_the_truth = recipe.values(4, lambda d: inputs(d), lambda d: inputs(d, seed=1, dtype=torch.float64))
test_gradient_matches_autograd = recipe.gradient(2, lambda d: inputs(d, seed=2, dtype=torch.float64), truth)
test_input_not_modified = recipe.unmodified(1, lambda d: inputs(d, seed=3), names=["X"])
test_written_from_scratch = recipe.from_scratch(1, lambda d: inputs(d, seed=4), BANNED, hint="TODO")
test_speed_against_reference = recipe.speed(2, lambda d: inputs(d, seed=5), hint="TODO: the fast way")
