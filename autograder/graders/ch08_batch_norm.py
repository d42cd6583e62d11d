"""Grader for ch08-batch_norm: `batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum)` (book 8.5.3).

The book's semantics, where PyTorch's differ: training mode is `torch.is_grad_enabled()`, the moving variance
follows the biased batch variance (PyTorch's running variance is unbiased), and `momentum` weighs the new
batch statistic. Expected values come from torch.var_mean in float64; the grader's proof checks them against
F.batch_norm.
"""

import pytest
import torch

from autograder.checks import (Mistake, StudentError, expect_backward, expect_close, expect_not_used,
                               expect_unmodified, first_matching_hint, seeded, show)
from autograder.graders.common.batch_norm import (BANNED, EPS, MOMENTUM, batch_stats, normalized, param_shape,
                                                  stat_dims)
from autograder.recipe import Recipe

SIGNATURE = "batch_norm(X, gamma, beta, moving_mean, moving_var, eps={eps:g}, momentum={momentum:g})"
MODE_HINT = ("decide the mode with torch.is_grad_enabled(): batch statistics when it is True (training), "
             "moving_mean and moving_var when it is False (prediction, inside torch.no_grad()).")
F64 = torch.float64


# -- inputs ---------------------------------------------------------------------------------------------------

def case(shape, seed, dtype=torch.float32, device="cpu"):
    """X with a different mean and scale per feature/channel, and the book's (1, d) / (1, c, 1, 1) parameters."""
    pshape = param_shape(shape[1], len(shape))
    center = seeded(*pshape, seed=seed + 1, dtype=F64, scale=1.5)
    scale = seeded(*pshape, seed=seed + 2, dtype=F64).abs() * 2 + 0.5
    X = seeded(*shape, seed=seed, dtype=F64) * scale + center
    gamma = seeded(*pshape, seed=seed + 3, dtype=F64, scale=0.5, shift=1)
    beta = seeded(*pshape, seed=seed + 4, dtype=F64)
    moving_mean = seeded(*pshape, seed=seed + 5, dtype=F64)
    moving_var = seeded(*pshape, seed=seed + 6, dtype=F64).abs() + 0.5
    return [t.to(dtype).to(device) for t in (X, gamma, beta, moving_mean, moving_var)]


# The book's formulas in float64, then cast: in float32, F.batch_norm's mean of a constant feature can be off by
# one ulp, which (X - mean) / sqrt(eps) turns into an error of 1e-4 where the exact answer is beta. (F.batch_norm
# itself also stalls for ~0.1 s a call on a loaded CPU, in its thread pool.) The proof of this grader checks
# that these agree with F.batch_norm.

def expected_training(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    X64, g, b, mm, mv = (t.to(F64) for t in (X, gamma, beta, moving_mean, moving_var))
    mean, var = batch_stats(X64)
    out = normalized(X64, g, b, mean, var, eps), (1 - momentum) * mm + momentum * mean, \
        (1 - momentum) * mv + momentum * var
    return [t.to(X.dtype) for t in out]


def expected_prediction(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    X64, g, b, mm, mv = (t.to(F64) for t in (X, gamma, beta, moving_mean, moving_var))
    return normalized(X64, g, b, mm, mv, eps).to(X.dtype), moving_mean, moving_var


def describe(args, eps, momentum, training=True):
    X = args[0]
    mode = "in training mode (autograd on)" if training else "in prediction mode (under torch.no_grad())"
    return (SIGNATURE.format(eps=eps, momentum=momentum) +
            f" {mode} for {str(X.dtype).replace('torch.', '')} X of shape {tuple(X.shape)}")


# -- diagnosis: name the usual mistake behind a wrong value ---------------------------------------------------

def diagnose_Y(args, eps, got, training=True):
    X, gamma, beta, mm, mv = [t.to(F64) for t in args]
    dims = stat_dims(X)
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return ("Y keeps the shape of X. For a 4-D X compute the statistics with keepdim=True "
                "(X.mean(dim=(0, 2, 3), keepdim=True)) so that they broadcast over each channel.")

    def norm(mean, var, e=eps):
        return normalized(X, gamma, beta, mean, var, e)

    batch_mean, batch_var = batch_stats(X)
    mean, var = (batch_mean, batch_var) if training else (mm, mv)   # what this mode normalises with
    if not training:
        mode = {"you normalised with the batch's own statistics although autograd was off (prediction mode); "
                + MODE_HINT: lambda: norm(batch_mean, batch_var)}
    elif X.dim() == 4:
        mode = {
            "you normalised with the unbiased variance (X.var() divides by n - 1); batch normalization "
            "divides by the batch size: ((X - mean) ** 2).mean(...), or X.var(..., correction=0).":
                lambda: norm(mean, X.var(dim=dims, keepdim=True)),
            "you took one mean and variance per channel *and position* (over dimension 0 only); for a "
            "convolutional X take each channel's over dimensions 0, 2 and 3 (X.mean(dim=(0, 2, 3), keepdim=True)).":
                lambda: norm(X.mean(0, keepdim=True), X.var(0, keepdim=True, correction=0)),
            "you normalised each example over its channels and positions (dimensions 1, 2, 3); batch "
            "normalization normalises each channel over the batch and positions (dimensions 0, 2, 3).":
                lambda: norm(X.mean((1, 2, 3), keepdim=True), X.var((1, 2, 3), keepdim=True, correction=0)),
        }
    else:
        mode = {
            "you normalised with the unbiased variance (X.var() divides by n - 1); batch normalization "
            "divides by the batch size: ((X - mean) ** 2).mean(...), or X.var(..., correction=0).":
                lambda: norm(mean, X.var(dim=dims, keepdim=True)),
            "you normalised each example (row) over its features (dimension 1); batch normalization "
            "normalises each feature (column) over the batch (dimension 0).":
                lambda: norm(X.mean(1, keepdim=True), X.var(1, keepdim=True, correction=0)),
        }
    if training:
        mode["you normalised with moving_mean and moving_var although autograd was on (training mode); "
             + MODE_HINT] = lambda: norm(mm, mv)
    return first_matching_hint(got, {
        **mode,
        "eps goes inside the square root: divide by torch.sqrt(var + eps), not torch.sqrt(var) + eps "
        "(nor torch.sqrt(var) alone).": lambda: gamma * (X - mean) / (torch.sqrt(var) + eps) + beta,
        "divide by the standard deviation torch.sqrt(var + eps), not by the variance.":
            lambda: gamma * (X - mean) / (var + eps) + beta,
        "use the eps you are given (the book's layer passes 1e-5, the graders other values too).":
            lambda: norm(mean, var, 1e-5),
        # after the one above: with eps=1e-5 the two are indistinguishable, and a NaN only matches this one
        "you left out eps: divide by torch.sqrt(var + eps); without it a feature that is constant over the "
        "batch gives 0 / 0 = NaN.": lambda: gamma * (X - mean) / torch.sqrt(var) + beta,
        "scale and shift the normalised X_hat: Y = gamma * X_hat + beta.": lambda: (X - mean) / torch.sqrt(var + eps),
        "gamma scales and beta shifts: Y = gamma * X_hat + beta, not beta * X_hat + gamma.":
            lambda: beta * (X - mean) / torch.sqrt(var + eps) + gamma,
    }, atol=1e-4, default=(
        "in training mode Y = gamma * (X - mean) / sqrt(var + eps) + beta, with the batch's mean and biased "
        "variance per feature (dimension 0) or per channel (dimensions 0, 2, 3)." if training else
        "in prediction mode Y = gamma * (X - moving_mean) / sqrt(moving_var + eps) + beta."))


def diagnose_moving(args, eps, momentum, got, which):
    """`which` is 1 (moving_mean) or 2 (moving_var): the position in the result."""
    X, moving = args[0].to(F64), args[which + 2].to(F64)
    name = ("moving_mean", "moving_var")[which - 1]
    if not isinstance(got, torch.Tensor) or got.shape != moving.shape:
        return (f"{name} keeps its shape, (1, d) or (1, c, 1, 1): compute the batch statistics with keepdim=True "
                "(for a 2-D X, X.mean(dim=0) has shape (d,) and still broadcasts correctly).")
    mean, var = batch_stats(X)
    stat = mean if which == 1 else var
    candidates = {
        f"you returned {name} unchanged; in training mode return (1 - momentum) * {name} + momentum * "
        f"(the batch's {'mean' if which == 1 else 'variance'}).": moving,
        f"momentum weighs the new batch statistic: {name} = (1 - momentum) * {name} + momentum * batch "
        "statistic (you swapped the two weights).": lambda: momentum * moving + (1 - momentum) * stat,
        f"you returned the batch statistic itself; blend it into the moving average: (1 - momentum) * {name} "
        "+ momentum * batch statistic.": stat,
    }
    if which == 2:
        candidates.update({
            "moving_var must follow the biased batch variance (divide by n), the one you normalise with; X.var() "
            "divides by n - 1 (PyTorch's BatchNorm does that, the book does not).":
                lambda: (1 - momentum) * moving + momentum * X.var(dim=stat_dims(X), keepdim=True),
            "moving_var averages the batch variance itself; eps is only added when dividing.":
                lambda: (1 - momentum) * moving + momentum * (var + eps),
            "moving_var averages the variance, not the standard deviation.":
                lambda: (1 - momentum) * moving + momentum * var.sqrt(),
        })
    return first_matching_hint(got, candidates, atol=1e-4, default=(
        f"in training mode {name} = (1 - momentum) * {name} + momentum * (the batch's "
        f"{'mean' if which == 1 else 'biased variance'}), per feature or per channel (book 8.5.3)."))


def unpack(got, call):
    if (not isinstance(got, (tuple, list)) or len(got) != 3
            or not all(isinstance(t, torch.Tensor) for t in got)):
        what = (f"a {type(got).__name__} of {len(got)} items" if isinstance(got, (tuple, list)) else show(got))
        raise Mistake(f"{call} returned {what}, expected a tuple (Y, moving_mean, moving_var) of three tensors.",
                      "return Y, moving_mean, moving_var: the BatchNorm layer unpacks exactly these three.")
    return got


def check_values(args, eps, momentum, got, training=True):
    """Y and both moving statistics against the book's semantics."""
    call = describe(args, eps, momentum, training)
    Y, mm, mv = unpack(got, call)
    expected = (expected_training if training else expected_prediction)(*args, eps, momentum)
    expect_close(Y, expected[0], f"Y from {call}", lambda: diagnose_Y(args, eps, Y, training))
    if training:
        expect_close(mm, expected[1], f"moving_mean from {call}", lambda: diagnose_moving(args, eps, momentum, mm, 1))
        expect_close(mv, expected[2], f"moving_var from {call}", lambda: diagnose_moving(args, eps, momentum, mv, 2))
    else:
        hint = "in prediction mode nothing is learned: return moving_mean and moving_var as you got them."
        expect_close(mm, expected[1], f"moving_mean from {call}", hint)
        expect_close(mv, expected[2], f"moving_var from {call}", hint)


def check_Y(args, got, call):
    """Only Y, in training mode (the moving statistics have their own test)."""
    Y = unpack(got, call)[0]
    expect_close(Y, expected_training(*args, EPS, MOMENTUM)[0], f"Y from {call}", lambda: diagnose_Y(args, EPS, Y))


def call(student, args, eps=EPS, momentum=MOMENTUM, training=True, **run):
    return student.run(*args, kwargs={"eps": eps, "momentum": momentum}, grad_enabled=training, **run)


# The recipe's calls are in training mode (autograd on, the default) with the book layer's eps and momentum.
KWARGS = {"eps": EPS, "momentum": MOMENTUM}
outputs = Recipe(lambda *args: describe(args, EPS, MOMENTUM), check_Y, kwargs=KWARGS)
recipe = Recipe(lambda *args: describe(args, EPS, MOMENTUM),
                lambda args, got, call: check_values(args, EPS, MOMENTUM, got), kwargs=KWARGS)


# -- tests ----------------------------------------------------------------------------------------------------

test_fully_connected_training_output = outputs.values(
    1.5, lambda d: case((5, 6), seed=0, device=d), lambda d: case((64, 10), seed=10, device=d))
test_convolutional_training_output = outputs.values(
    1.5, lambda d: case((4, 3, 5, 5), seed=20, device=d), lambda d: case((2, 8, 3, 4), seed=30, device=d))


@pytest.mark.points(1.5)
def test_moving_statistics(student, device):
    for shape, seed, momentum in [((5, 6), 40, MOMENTUM), ((4, 3, 5, 5), 50, MOMENTUM), ((8, 4), 60, 0.3),
                                  ((3, 5, 2, 2), 70, 0.3)]:
        args = case(shape, seed=seed, device=device)
        check_values(args, EPS, momentum, call(student, args, momentum=momentum).value)


@pytest.mark.points(1.5)
def test_prediction_mode(student, device):
    for shape, seed in [((5, 6), 80), ((4, 3, 5, 5), 90)]:
        args = case(shape, seed=seed, device=device)
        check_values(args, EPS, MOMENTUM, call(student, args, training=False).value, training=False)
    # a single example is a valid minibatch at prediction time
    args = case((1, 3, 4, 4), seed=95, device=device)
    check_values(args, EPS, MOMENTUM, call(student, args, training=False).value, training=False)


@pytest.mark.points(1)
def test_eps_is_used(student, device):
    # a constant feature has variance 0: only eps keeps 0 / 0 from becoming NaN (its Y is then beta). In
    # float64 and with 8 rows, so that no sound way of taking the mean is off by an ulp, which / sqrt(eps) shows.
    args = case((8, 4), seed=100, dtype=F64, device=device)
    args[0][:, 2] = 0.75
    check_values(args, EPS, MOMENTUM, call(student, args).value)
    # a large eps changes every value, in both modes
    args = case((4, 3, 2, 2), seed=110, device=device)
    check_values(args, 0.5, MOMENTUM, call(student, args, eps=0.5).value)
    args = case((5, 6), seed=120, device=device)
    check_values(args, 0.5, MOMENTUM, call(student, args, eps=0.5, training=False).value, training=False)


DETACHED_STATS_HINT = ("the batch mean and variance depend on X, so the gradient flows through them too: compute "
                       "them from X itself, not from X.detach() or X.data.")


@pytest.mark.points(1)
def test_gradients_match_autograd(student, device):
    # hand-written: the result is a tuple whose moving statistics carry no gradient, and a gradient with respect
    # to X as if the batch statistics were constants names that mistake
    for shape, seed in [((4, 3, 3, 3), 130), ((6, 4), 140)]:
        args = case(shape, seed=seed, dtype=F64, device=device)
        text = describe(args, EPS, MOMENTUM)
        check_Y(args, call(student, args, requires_grad=[0, 1, 2]).value, text)
        G = seeded(*shape, seed=seed + 7, dtype=F64, device=device)
        got = expect_backward(student, [G, None, None], f"Y from {text}",
                              "Y must be computed from X, gamma and beta with differentiable torch operations.").args
        X, gamma, beta = [a.detach().clone().requires_grad_(True) for a in args[:3]]
        normalized(X, gamma, beta, *batch_stats(X), EPS).backward(G)
        for name, g, want in [("X", got[0], X.grad), ("gamma", got[1], gamma.grad), ("beta", got[2], beta.grad)]:
            if g is None:
                raise Mistake(f"no gradient reached {name} through Y from {text}.",
                              f"use {name} itself in torch operations (not {name}.data, .detach() or .item()).")
            hint = f"Y must depend on {name} through differentiable torch operations."
            if name == "X":
                hint = first_matching_hint(g, {DETACHED_STATS_HINT: lambda: G * args[1] / torch.sqrt(
                    batch_stats(args[0])[1] + EPS)}, default=hint, atol=1e-4)
            expect_close(g, want, f"the gradient with respect to {name} of Y from {text}", hint)


@pytest.mark.points(0.5)
def test_moving_statistics_carry_no_history(student, device):
    # Tensors come back rebuilt, so "no history" is checked where the code runs: backward through a
    # returned moving statistic must find nothing connected to X.
    args = case((4, 3, 2, 2), seed=150, device=device)
    text = describe(args, EPS, MOMENTUM)
    for which, name in [(1, "moving_mean"), (2, "moving_var")]:
        out = call(student, args, requires_grad=[0, 1, 2])
        check_values(args, EPS, MOMENTUM, out.value)
        grads = [None, None, None]
        grads[which] = torch.ones_like(args[which])
        try:
            student.backward(grads)
        except StudentError as e:
            if "not connected" in e.message:
                continue
            raise
        raise Mistake(f"the {name} returned by {text} (with X requiring grad) still carries autograd history: "
                      "backward through it reached X.",
                      f"return {name}.detach() (the book returns {name}.data): the moving statistics are "
                      "bookkeeping, and with history each training step would chain its graph onto the last.")


# Hand-written rather than the recipe's: these two also call in prediction mode (autograd off).


@pytest.mark.points(0.5)
def test_inputs_not_modified(student, device):
    for shape, seed, training in [((5, 6), 160, True), ((4, 3, 2, 2), 170, True), ((4, 3, 2, 2), 180, False)]:
        args = case(shape, seed=seed, device=device)
        out = call(student, args, training=training, return_args=True)
        check_values(args, EPS, MOMENTUM, out.value, training)
        text = describe(args, EPS, MOMENTUM, training)
        for i, name in enumerate(["X", "gamma", "beta", "moving_mean", "moving_var"]):
            expect_unmodified(args[i], out.args[i], name, text,
                              "build new tensors (X - mean, (1 - momentum) * moving_mean + ...) instead of "
                              "in-place operations (-=, mul_, copy_): return the new moving statistics, the "
                              "layer stores them.")


@pytest.mark.points(0.5)
def test_written_from_scratch(student, device):
    for shape, seed, training in [((5, 6), 190, True), ((4, 3, 2, 2), 200, True), ((4, 3, 2, 2), 210, False)]:
        args = case(shape, seed=seed, device=device)
        out = call(student, args, training=training, watch=BANNED)
        check_values(args, EPS, MOMENTUM, out.value, training)
        expect_not_used(out.seen, BANNED, describe(args, EPS, MOMENTUM, training),
                        "compute the mean and variance with X.mean(...) and normalise with plain arithmetic; "
                        "F.batch_norm, nn.BatchNorm2d and the other normalization layers are what this "
                        "exercise builds.")


# many channels of few positions: a loop over channels costs ~100x, whatever the load on the machine
test_speed_against_reference = recipe.speed(
    0.5, lambda d: case((8, 128, 4, 4), seed=220, device=d), grad_enabled=True,
    hint="use whole-tensor operations (X.mean(dim=(0, 2, 3), keepdim=True), broadcasting) instead of Python loops "
         "over features or channels.")
