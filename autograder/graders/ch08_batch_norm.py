"""Grader for ch08-batch_norm: `batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum)` (book 8.5.3).

The book's semantics, where PyTorch's differ: training mode is `torch.is_grad_enabled()`, the moving variance
follows the biased batch variance (PyTorch's running variance is unbiased), and `momentum` weighs the new
batch statistic. Expected values come from torch.var_mean in float64; the grader's proof checks them against
F.batch_norm.
"""

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_fast, expect_not_used, expect_unmodified, show
from autograder.impl import StudentError

# Every library normalization: each can compute batch norm (layer/group/instance norm of a transposed X do)
NORM_FUNCTIONS = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "native_batch_norm",
                  "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "_batch_norm_impl_index",
                  "_batch_norm_with_update", "_batch_norm_no_update", "cudnn_batch_norm", "miopen_batch_norm",
                  "native_layer_norm", "native_group_norm", "batch_norm_elemt", "batch_norm_stats",
                  "batch_norm_gather_stats", "batch_norm_gather_stats_with_counts", "batch_norm_update_stats"]
NORM_ATEN = ["batch_norm", "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_functional",
             "_native_batch_norm_legit_no_training", "_batch_norm_impl_index", "_batch_norm_with_update",
             "_batch_norm_with_update_functional", "_batch_norm_no_update", "cudnn_batch_norm", "miopen_batch_norm",
             "native_layer_norm", "native_group_norm", "_fused_rms_norm", "batch_norm_elemt", "batch_norm_stats",
             "batch_norm_gather_stats", "batch_norm_gather_stats_with_counts", "batch_norm_update_stats"]
BANNED = {"functions": NORM_FUNCTIONS, "aten": NORM_ATEN}
EPS, MOMENTUM = 1e-5, 0.1
SIGNATURE = "batch_norm(X, gamma, beta, moving_mean, moving_var, eps={eps:g}, momentum={momentum:g})"
MODE_HINT = ("decide the mode with torch.is_grad_enabled(): batch statistics when it is True (training), "
             "moving_mean and moving_var when it is False (prediction, inside torch.no_grad()).")


# -- inputs ---------------------------------------------------------------------------------------------------

def _randn(*shape, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def case(shape, seed, dtype=torch.float32, device="cpu"):
    """X with a different mean and scale per feature/channel, and the book's (1, d) / (1, c, 1, 1) parameters."""
    pshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    center = _randn(*pshape, seed=seed + 1) * 1.5
    scale = _randn(*pshape, seed=seed + 2).abs() * 2 + 0.5
    X = _randn(*shape, seed=seed) * scale + center
    gamma = _randn(*pshape, seed=seed + 3) * 0.5 + 1
    beta = _randn(*pshape, seed=seed + 4)
    moving_mean = _randn(*pshape, seed=seed + 5)
    moving_var = _randn(*pshape, seed=seed + 6).abs() + 0.5
    return [t.to(dtype).to(device) for t in (X, gamma, beta, moving_mean, moving_var)]


def stat_dims(X):
    return (0,) if X.dim() == 2 else (0, 2, 3)


def batch_stats(X):
    """Mean and biased variance per feature (2-D X) or per channel (4-D X), shaped like the parameters."""
    var, mean = torch.var_mean(X, dim=stat_dims(X), keepdim=True, correction=0)
    return mean, var


# The book's formulas in float64, then cast: in float32, F.batch_norm's mean of a constant feature can be off by
# one ulp, which (X - mean) / sqrt(eps) turns into an error of 1e-4 where the exact answer is beta. (F.batch_norm
# itself also stalls for ~0.1 s a call on a loaded CPU, in its thread pool.) The proof of this grader checks
# that these agree with F.batch_norm.

def _normalized(X, gamma, beta, mean, var, eps):
    return gamma * (X - mean) / torch.sqrt(var + eps) + beta


def expected_training(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    X64, g, b, mm, mv = (t.to(torch.float64) for t in (X, gamma, beta, moving_mean, moving_var))
    mean, var = batch_stats(X64)
    out = _normalized(X64, g, b, mean, var, eps), (1 - momentum) * mm + momentum * mean, \
        (1 - momentum) * mv + momentum * var
    return [t.to(X.dtype) for t in out]


def expected_prediction(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    X64, g, b, mm, mv = (t.to(torch.float64) for t in (X, gamma, beta, moving_mean, moving_var))
    return _normalized(X64, g, b, mm, mv, eps).to(X.dtype), moving_mean, moving_var


def describe(args, eps, momentum, training=True):
    X = args[0]
    mode = "in training mode (autograd on)" if training else "in prediction mode (under torch.no_grad())"
    return (SIGNATURE.format(eps=eps, momentum=momentum) +
            f" {mode} for {str(X.dtype).replace('torch.', '')} X of shape {tuple(X.shape)}")


# -- diagnosis: name the usual mistake behind a wrong value ---------------------------------------------------

def _matches(got, wrong):
    if not isinstance(got, torch.Tensor) or got.shape != wrong.shape:
        return False
    return torch.allclose(got.detach().to(wrong.device, torch.float64), wrong, rtol=1e-3, atol=1e-4, equal_nan=True)


def diagnose_Y(args, eps, momentum, got, training=True):
    X, gamma, beta, mm, mv = [t.to(torch.float64) for t in args]
    dims = stat_dims(X)
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return ("Y keeps the shape of X. For a 4-D X compute the statistics with keepdim=True "
                "(X.mean(dim=(0, 2, 3), keepdim=True)) so that they broadcast over each channel.")

    def norm(mean, var, e=eps):
        return gamma * (X - mean) / torch.sqrt(var + e) + beta

    mean, var = batch_stats(X)
    candidates = {}
    if training:
        candidates["you normalised with the unbiased variance (X.var() divides by n - 1); batch normalization "
                   "divides by the batch size: ((X - mean) ** 2).mean(...), or X.var(..., correction=0)."] = \
            norm(mean, X.var(dim=dims, keepdim=True))
        if X.dim() == 4:
            candidates["you took one mean and variance per channel *and position* (over dimension 0 only); for a "
                       "convolutional X take each channel's over dimensions 0, 2 and 3 "
                       "(X.mean(dim=(0, 2, 3), keepdim=True))."] = \
                norm(X.mean(0, keepdim=True), X.var(0, keepdim=True, correction=0))
            candidates["you normalised each example over its channels and positions (dimensions 1, 2, 3); batch "
                       "normalization normalises each channel over the batch and positions (dimensions 0, 2, 3)."] = \
                norm(X.mean((1, 2, 3), keepdim=True), X.var((1, 2, 3), keepdim=True, correction=0))
        else:
            candidates["you normalised each example (row) over its features (dimension 1); batch normalization "
                       "normalises each feature (column) over the batch (dimension 0)."] = \
                norm(X.mean(1, keepdim=True), X.var(1, keepdim=True, correction=0))
        candidates["you normalised with moving_mean and moving_var although autograd was on (training mode); "
                   + MODE_HINT] = norm(mm, mv)
    else:
        candidates["you normalised with the batch's own statistics although autograd was off (prediction mode); "
                   + MODE_HINT] = norm(mean, var)
        mean, var = mm, mv
    candidates["eps goes inside the square root: divide by torch.sqrt(var + eps), not torch.sqrt(var) + eps "
               "(nor torch.sqrt(var) alone)."] = \
        gamma * (X - mean) / (torch.sqrt(var) + eps) + beta
    candidates["divide by the standard deviation torch.sqrt(var + eps), not by the variance."] = \
        gamma * (X - mean) / (var + eps) + beta
    candidates["use the eps you are given (the book's layer passes 1e-5, the graders other values too)."] = \
        norm(mean, var, 1e-5)
    # after the one above: with eps=1e-5 the two are indistinguishable, and a NaN only matches this one
    candidates["you left out eps: divide by torch.sqrt(var + eps); without it a feature that is constant over the "
               "batch gives 0 / 0 = NaN."] = gamma * (X - mean) / torch.sqrt(var) + beta
    candidates["scale and shift the normalised X_hat: Y = gamma * X_hat + beta."] = (X - mean) / torch.sqrt(var + eps)
    candidates["gamma scales and beta shifts: Y = gamma * X_hat + beta, not beta * X_hat + gamma."] = \
        beta * (X - mean) / torch.sqrt(var + eps) + gamma
    for hint, wrong in candidates.items():
        if _matches(got, wrong):
            return hint
    if training:
        return ("in training mode Y = gamma * (X - mean) / sqrt(var + eps) + beta, with the batch's mean and "
                "biased variance per feature (dimension 0) or per channel (dimensions 0, 2, 3).")
    return "in prediction mode Y = gamma * (X - moving_mean) / sqrt(moving_var + eps) + beta."


def diagnose_moving(args, eps, momentum, got, which):
    """`which` is 1 (moving_mean) or 2 (moving_var): the position in the result."""
    X, moving = args[0].to(torch.float64), args[which + 2].to(torch.float64)
    name = ("moving_mean", "moving_var")[which - 1]
    if not isinstance(got, torch.Tensor) or got.shape != moving.shape:
        return (f"{name} keeps its shape, (1, d) or (1, c, 1, 1): compute the batch statistics with keepdim=True "
                "(for a 2-D X, X.mean(dim=0) has shape (d,) and still broadcasts correctly).")
    dims = stat_dims(X)
    mean, var = batch_stats(X)
    stat = mean if which == 1 else var
    candidates = {
        f"you returned {name} unchanged; in training mode return (1 - momentum) * {name} + momentum * "
        f"(the batch's {'mean' if which == 1 else 'variance'}).": moving,
        f"momentum weighs the new batch statistic: {name} = (1 - momentum) * {name} + momentum * batch "
        "statistic (you swapped the two weights).": momentum * moving + (1 - momentum) * stat,
        f"you returned the batch statistic itself; blend it into the moving average: (1 - momentum) * {name} "
        "+ momentum * batch statistic.": stat,
    }
    if which == 2:
        candidates.update({
            "moving_var must follow the biased batch variance (divide by n), the one you normalise with; X.var() "
            "divides by n - 1 (PyTorch's BatchNorm does that, the book does not).":
                (1 - momentum) * moving + momentum * X.var(dim=dims, keepdim=True),
            "moving_var averages the batch variance itself; eps is only added when dividing.":
                (1 - momentum) * moving + momentum * (var + eps),
            "moving_var averages the variance, not the standard deviation.":
                (1 - momentum) * moving + momentum * var.sqrt(),
        })
    for hint, wrong in candidates.items():
        if _matches(got, wrong):
            return hint
    return (f"in training mode {name} = (1 - momentum) * {name} + momentum * (the batch's "
            f"{'mean' if which == 1 else 'biased variance'}), per feature or per channel (book 8.5.3).")


def expect_value(got, expected, call, why):
    """expect_close, with the hint computed only when the comparison fails (the diagnosis costs time)."""
    try:
        expect_close(got, expected, call)
    except Mistake as e:
        raise Mistake(str(e), why()) from None


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
    expect_value(Y, expected[0], f"Y from {call}", lambda: diagnose_Y(args, eps, momentum, Y, training))
    if training:
        expect_value(mm, expected[1], f"moving_mean from {call}",
                     lambda: diagnose_moving(args, eps, momentum, mm, 1))
        expect_value(mv, expected[2], f"moving_var from {call}",
                     lambda: diagnose_moving(args, eps, momentum, mv, 2))
    else:
        hint = "in prediction mode nothing is learned: return moving_mean and moving_var as you got them."
        expect_close(mm, expected[1], f"moving_mean from {call}", hint)
        expect_close(mv, expected[2], f"moving_var from {call}", hint)


def call(student, args, eps=EPS, momentum=MOMENTUM, training=True, **run):
    return student.run(*args, kwargs={"eps": eps, "momentum": momentum}, grad_enabled=training, **run)


def check_Y(student, args, eps=EPS, momentum=MOMENTUM, training=True):
    """Only Y (the moving statistics have their own test)."""
    text = describe(args, eps, momentum, training)
    Y = unpack(call(student, args, eps, momentum, training).value, text)[0]
    expected = (expected_training if training else expected_prediction)(*args, eps, momentum)[0]
    expect_value(Y, expected, f"Y from {text}", lambda: diagnose_Y(args, eps, momentum, Y, training))


# -- tests ----------------------------------------------------------------------------------------------------

@pytest.mark.points(1.5)
def test_fully_connected_training_output(student, device):
    check_Y(student, case((5, 6), seed=0, device=device))
    check_Y(student, case((64, 10), seed=10, device=device))


@pytest.mark.points(1.5)
def test_convolutional_training_output(student, device):
    check_Y(student, case((4, 3, 5, 5), seed=20, device=device))
    check_Y(student, case((2, 8, 3, 4), seed=30, device=device))


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
    args = case((8, 4), seed=100, dtype=torch.float64, device=device)
    args[0][:, 2] = 0.75
    check_values(args, EPS, MOMENTUM, call(student, args).value)
    # a large eps changes every value, in both modes
    args = case((4, 3, 2, 2), seed=110, device=device)
    check_values(args, 0.5, MOMENTUM, call(student, args, eps=0.5).value)
    args = case((5, 6), seed=120, device=device)
    check_values(args, 0.5, MOMENTUM, call(student, args, eps=0.5, training=False).value, training=False)


@pytest.mark.points(1)
def test_gradients_match_autograd(student, device):
    for shape, seed in [((4, 3, 3, 3), 130), ((6, 4), 140)]:
        args = case(shape, seed=seed, dtype=torch.float64, device=device)
        text = describe(args, EPS, MOMENTUM)
        Y = unpack(call(student, args, requires_grad=[0, 1, 2]).value, text)[0]
        G = _randn(*shape, seed=seed + 7).to(device)
        expect_value(Y, expected_training(*args, EPS, MOMENTUM)[0], f"Y from {text}",
                     lambda: diagnose_Y(args, EPS, MOMENTUM, Y))
        try:
            got = student.backward([G, None, None]).args
        except StudentError as e:
            raise Mistake(f"backward through Y from {text} failed: {e.message}",
                          "Y must be computed from X, gamma and beta with differentiable torch operations.") from None
        X, gamma, beta = [a.detach().clone().requires_grad_(True) for a in args[:3]]
        mean, var = batch_stats(X)
        _normalized(X, gamma, beta, mean, var, EPS).backward(G)
        for name, g, want in [("X", got[0], X.grad), ("gamma", got[1], gamma.grad), ("beta", got[2], beta.grad)]:
            if g is None:
                raise Mistake(f"no gradient reached {name} through Y from {text}.",
                              f"use {name} itself in torch operations (not {name}.data, .detach() or .item()).")
            hint = f"Y must depend on {name} through differentiable torch operations."
            if name == "X":
                mean, var = batch_stats(args[0])
                if _matches(g, G * args[1] / torch.sqrt(var + EPS)):
                    hint = ("the batch mean and variance depend on X, so the gradient flows through them too: "
                            "compute them from X itself, not from X.detach() or X.data.")
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
        expect_not_used(out.seen, BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]],
                        describe(args, EPS, MOMENTUM, training),
                        "compute the mean and variance with X.mean(...) and normalise with plain arithmetic; "
                        "F.batch_norm, nn.BatchNorm2d and the other normalization layers are what this "
                        "exercise builds.")


@pytest.mark.points(0.5)
def test_speed_against_reference(student, reference, device):
    # many channels of few positions: a loop over channels costs ~100x, whatever the load on the machine
    args = case((8, 128, 4, 4), seed=220, device=device)
    text = describe(args, EPS, MOMENTUM)
    check_values(args, EPS, MOMENTUM, call(student, args).value)
    expect_fast(student, reference, *args, threshold=10, kwargs={"eps": EPS, "momentum": MOMENTUM},
                grad_enabled=True, call=text,
                hint="use whole-tensor operations (X.mean(dim=(0, 2, 3), keepdim=True), broadcasting) instead "
                     "of Python loops over features or channels.")
