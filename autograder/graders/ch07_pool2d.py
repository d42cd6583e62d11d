"""Grader for ch07-pool2d: `pool2d(X, pool_size, mode='max')`, the maximum or the mean of every p_h x p_w window of a
2-D X at stride 1 without padding (book 7.5.1).

The truth is F.max_pool2d / F.avg_pool2d (stride 1) in float64. Gradients: average pooling spreads each output's
gradient evenly over its window; max pooling routes it to the window's maximum. Inputs for the exact gradient
comparison have no ties (torch's max_pool2d sends a tied window's gradient to one element, x.max() splits it evenly;
both are right), and a separate check with ties accepts any split that sends all of the gradient to maxima.
"""
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_not_used,
                               expect_shape, first_matching_hint, seeded)
from autograder.graders.common.conv import DEVICE_HINT, POOL_BANNED
from autograder.recipe import Recipe

WINDOW_HINT = ("Y[i, j] is the max (mode 'max') or the mean (mode 'avg') of the window X[i:i + p_h, j:j + p_w], with "
               "p_h, p_w = pool_size; Y has shape (X.shape[0] - p_h + 1, X.shape[1] - p_w + 1).")


def pooled(X, pool_size, mode):
    """torch's own pooling at stride 1, in float64, returned in X's dtype."""
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(X[None, None].double(), tuple(pool_size), stride=1)[0, 0].to(X.dtype)


def out_shape(X, pool_size):
    return (X.shape[0] - pool_size[0] + 1, X.shape[1] - pool_size[1] + 1)


def diagnose(X, pool_size, mode, got) -> str:
    if not isinstance(got, torch.Tensor):
        return "return the tensor Y. " + WINDOW_HINT
    if got.dtype != X.dtype:
        return DEVICE_HINT
    (n_h, n_w), (p_h, p_w) = X.shape, pool_size
    shape = tuple(got.shape)
    if shape != out_shape(X, pool_size):
        if shape == (n_h - p_h, n_w - p_w):
            return ("one row and one column short: the window fits in n_h - p_h + 1 positions down and n_w - p_w + 1 "
                    "across.")
        if shape == (n_h - p_w + 1, n_w - p_h + 1):
            return "you swapped the window's height and width: p_h, p_w = pool_size (rows, then columns)."
        return WINDOW_HINT
    x = X.double()
    other = "avg" if mode == "max" else "max"
    return first_matching_hint(got, {
        f"you computed the {other} for mode {mode!r}: check the mode (the default, pool2d(X, pool_size), is 'max').":
            lambda: pooled(x, pool_size, other),
        "you swapped the window's height and width: p_h, p_w = pool_size (rows, then columns).":
            lambda: pooled(x, pool_size[::-1], mode)[:shape[0], :shape[1]] if p_h != p_w else None,
        "the average divides the window's sum by its size, p_h * p_w.":
            lambda: pooled(x, pool_size, "avg") * p_h * p_w if mode == "avg" else None,
        "start the maximum from the window's own values, not from zero: a window of negative numbers has a "
        "negative maximum.": lambda: pooled(x, pool_size, "max").clamp(min=0) if mode == "max" else None,
        "the maximum of the values, not of their sizes (no abs).":
            lambda: pooled(x.abs(), pool_size, "max") if mode == "max" else None,
    }, default=WINDOW_HINT)


def about(X, pool_size, mode="max"):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"pool2d(X, {tuple(pool_size)}, {mode!r}) for {dtype}X of shape {tuple(X.shape)}"


def check_values(args, got, call):
    X, pool_size, mode = args
    expect_close(got, pooled(X, pool_size, mode), call, lambda: diagnose(X, pool_size, mode, got))


def error_hint(e: StudentError):
    if "device" in e.message.lower() or "meta" in e.message.lower():
        return DEVICE_HINT
    if any(w in e.message for w in ("size of tensor", "shape", "broadcast", "non-negative")):
        return WINDOW_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)


def no_ties(*shape, seed, device, dtype=torch.float32):
    """Distinct values (a shuffled range, scaled, with negatives), so every window has one maximum."""
    g = torch.Generator().manual_seed(seed)
    n = torch.Size(shape).numel()
    return ((torch.randperm(n, generator=g).double() - n / 3) / 4).reshape(shape).to(dtype).to(device)


test_max_matches_max_pool2d = recipe.values(
    2, lambda d: (seeded(5, 6, device=d), (2, 2), "max"), lambda d: (seeded(6, 5, device=d, seed=1), (3, 2), "max"),
    lambda d: (seeded(4, 7, device=d, seed=2, shift=-3.0), (2, 3), "max"))    # all negative: no zero start
test_avg_matches_avg_pool2d = recipe.values(
    2, lambda d: (seeded(5, 6, device=d, seed=3), (2, 2), "avg"), lambda d: (seeded(6, 5, device=d, seed=4), (3, 2), "avg"),
    lambda d: (seeded(4, 7, device=d, seed=5), (2, 3), "avg"))


@pytest.mark.points(0.5)
def test_book_examples_and_default_mode(student, device):
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], device=device)
    call = "pool2d(X, (2, 2)) for the book's X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]] (the default mode is 'max')"
    try:
        got = student(X, (2, 2))
    except StudentError as e:
        as_mistake(e, call, error_hint(e) or WINDOW_HINT)
    expect_close(got, torch.tensor([[4.0, 5.0], [7.0, 8.0]], device=device), call,
                 lambda: diagnose(X, (2, 2), "max", got))
    check_values((X, (2, 2), "avg"), recipe.checked(student, (X, (2, 2), "avg")).value, about(X, (2, 2), "avg"))


test_edge_cases = recipe.values(
    1, lambda d: (seeded(4, 5, device=d, seed=6), (1, 1), "max"),     # a 1 x 1 window: X itself
    lambda d: (seeded(3, 4, device=d, seed=7), (3, 4), "avg"),        # a window as large as X: one output
    lambda d: (seeded(1, 6, device=d, seed=8), (1, 3), "max"),        # a single row
    lambda d: (seeded(6, 3, device=d, seed=9), (4, 1), "avg"))        # a window one column wide


def gradient_check(student, device, X, pool_size, mode, G):
    call = about(X, pool_size, mode)
    out = recipe.checked(student, (X, pool_size, mode), requires_grad=[0])
    grads = expect_backward(student, [G], call, "build Y from slices of X with torch operations (max, mean, sum, "
                                                "torch.maximum, stacking); torch.tensor(...), .item() or .detach() "
                                                "cut the graph.")
    got = grads.args[0]
    if got is None:
        raise Mistake(f"no gradient reached X through {call}.",
                      "Y must be computed from X with torch operations; do not detach or copy into Python numbers.")
    return out.value, got


@pytest.mark.points(1)
def test_max_gradient_goes_to_the_maximum(student, device):
    # float32, as the book's listing makes Y (its dtype costs points in test_keeps_float64 alone)
    X, pool_size = no_ties(5, 6, seed=10, device=device), (2, 3)
    G = seeded(*out_shape(X, pool_size), seed=11, device=device)
    _, got = gradient_check(student, device, X, pool_size, "max", G)
    Xd = X.double().requires_grad_(True)
    F.max_pool2d(Xd[None, None], pool_size, stride=1)[0, 0].backward(G.double())
    call = f"the gradient of {about(X, pool_size, 'max')} with respect to X (no ties in X)"
    expect_close(got, Xd.grad.float(), call, "max pooling passes each output's gradient to the element that was the "
                                     "window's maximum, and nothing to the others.", check_dtype=False)
    # ties: any split among a window's maxima is right, as long as all of the gradient goes to maxima
    X = torch.tensor([[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0], [3.0, 3.0, 0.0, 1.0]], device=device)
    G = seeded(2, 3, seed=12, device=device, uniform=True, shift=0.5)
    _, got = gradient_check(student, device, X, (2, 2), "max", G)
    call = f"the gradient of {about(X, (2, 2), 'max')} with respect to X = {X.tolist()} (with ties)"
    maxima = torch.zeros_like(X, dtype=torch.bool)
    M = pooled(X, (2, 2), "max")
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            maxima[i:i + 2, j:j + 2] |= X[i:i + 2, j:j + 2] == M[i, j]
    got = got.to(X.device, torch.float64)
    stray = got.masked_fill(maxima, 0).abs().max().item()
    if stray > 1e-6 or abs(got.sum().item() - G.double().sum().item()) > 1e-4:
        raise Mistake(f"{call} sends {stray:.4g} to an element that is no window's maximum, or loses some of the "
                      f"gradient (it sums to {got.sum().item():.6g}, the output gradient to {G.sum().item():.6g}).",
                      "each output's gradient goes to its window's maximum (split among tied maxima, or to one of "
                      "them); X[i:i + p_h, j:j + p_w].max() or torch.maximum do that.")


@pytest.mark.points(0.5)
def test_avg_gradient_is_spread_evenly(student, device):
    X, pool_size = seeded(5, 6, seed=13, device=device), (3, 2)
    G = seeded(*out_shape(X, pool_size), seed=14, device=device)
    _, got = gradient_check(student, device, X, pool_size, "avg", G)
    Xd = X.double().requires_grad_(True)
    F.avg_pool2d(Xd[None, None], pool_size, stride=1)[0, 0].backward(G.double())
    expect_close(got, Xd.grad.float(), f"the gradient of {about(X, pool_size, 'avg')} with respect to X",
                 "average pooling passes 1 / (p_h * p_w) of each output's gradient to every element of its window.",
                 check_dtype=False)


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    for mode in ("max", "avg"):
        X = seeded(5, 5, seed=15, dtype=torch.float64, device=device)
        call = about(X, (2, 2), mode)
        try:
            got = student(X, (2, 2), mode)
        except StudentError as e:
            as_mistake(e, call, error_hint(e) or WINDOW_HINT)
        expect_shape(got, (4, 4), call, lambda: diagnose(X, (2, 2), mode, got))
        if got.dtype != torch.float64:
            raise Mistake(f"{call} returned dtype {got.dtype}; keep X's dtype (float64).", DEVICE_HINT)
        check_values((X, (2, 2), mode), got, call)


test_result_on_the_inputs_device = recipe.on_device(
    1, meta_inputs=lambda d: (torch.empty(6, 7, device="meta"), (2, 3), "max"),
    real_inputs=lambda d: (seeded(6, 7, device=d, seed=16), (2, 3), "max"), hint=DEVICE_HINT, shape=(5, 5))
test_input_not_modified = recipe.unmodified(
    0.5, lambda d: (seeded(5, 6, device=d, seed=17), (2, 2), "avg"), names=["X", None, None],
    hint="compute Y in a new tensor; never write into X.")


@pytest.mark.points(0.5)
def test_written_from_scratch(student, device):
    for mode in ("max", "avg"):
        X = seeded(6, 6, seed=18, device=device)
        out = recipe.checked(student, (X, (3, 2), mode), watch=POOL_BANNED)
        expect_not_used(out.seen, POOL_BANNED, about(X, (3, 2), mode),
                        "take the max or mean of each window yourself; F.max_pool2d, F.avg_pool2d, nn.MaxPool2d, "
                        "nn.AvgPool2d, convolutions and unfold are what this exercise builds (or cut out the windows "
                        "for you).")


# The book's loop over the 5 x 6 output positions stays within the threshold (a few times the reference's loop
# over 42 window offsets); a loop over every element of every window (1,260 steps, milliseconds) is over a hundred
# times slower, far enough that a busy machine slowing the reference down cannot hide it.
test_speed_against_reference = recipe.speed(
    0.5, lambda d: (seeded(10, 12, device=d, seed=19), (6, 7), "max"),
    hint="loop over output positions at most (the book's listing), taking X[i:i + p_h, j:j + p_w].max() of each "
         "window, not over every single element of every window.")
