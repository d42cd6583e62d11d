"""Grader for ch07-Conv2D: the layer `Conv2D(kernel_size)` of book 7.2.2, a weight of shape `kernel_size` and a
bias of one element as nn.Parameter, and forward(x) = corr2d(x, self.weight) + self.bias.

The layer runs the instructor's corr2d here (the lesson's other exercises are the reference while this one is
graded), so what is checked is the layer's own part: its parameters (registered, their shapes), the forward pass
with known weights against F.conv2d plus the bias (float64), gradients to the weight, the bias and the input, and
that the forward pass goes through corr2d rather than a library convolution.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, expect_not_used, first_matching_hint, \
    seeded
from autograder.graders.common.conv import CONV_BANNED, corr2d_truth
from autograder.graders.common.modules import state

PARAM_HINT = ("create both in __init__ as nn.Parameter: self.weight = nn.Parameter(torch.rand(kernel_size)) and "
              "self.bias = nn.Parameter(torch.zeros(1)). A plain tensor attribute is not registered: "
              "named_parameters(), state_dict(), .to(device) and optimizers ignore it, so it is never trained.")
SHAPE_HINT = ("the weight is the kernel itself, of shape kernel_size (e.g. (1, 2)); the bias is one number added "
              "to every output, torch.zeros(1).")
DATA_HINT = ("use self.weight and self.bias themselves in forward: .data, .detach() or torch.tensor(...) give the "
             "same numbers outside autograd, so no gradient reaches the parameters and training never changes them.")
FORWARD_HINT = "forward(x) returns corr2d(x, self.weight) + self.bias: the kernel as it is, then the bias added."


def new(student, kernel_size):
    try:
        return student.new(kernel_size, seed=0)
    except StudentError as e:
        as_mistake(e, f"Conv2D(kernel_size={kernel_size})",
                   "the constructor takes kernel_size, as in the book." if e.type == "TypeError" else PARAM_HINT)


def found_params(layer, call) -> dict:
    found = state(layer, call)
    for name in ("weight", "bias"):
        if name not in found:
            raise Mistake(f"{call} has no parameter {name} (it has: {', '.join(sorted(found)) or 'nothing'}).",
                          PARAM_HINT)
    return found


def with_values(student, device, kernel_size, seed, dtype=torch.float32):
    """A new layer whose weight and bias hold known values (the bias in the student's shape)."""
    layer = new(student, kernel_size)
    call = f"Conv2D(kernel_size={kernel_size})"
    if dtype == torch.float64:
        try:
            layer.method("double")
        except StudentError as e:
            as_mistake(e, f"{call}.double()")
    found = found_params(layer, call)
    K = seeded(*kernel_size, seed=seed, dtype=dtype, device=device)
    b = seeded(1, seed=seed + 1, dtype=dtype, device=device, shift=0.5)
    if tuple(found["weight"].shape) != tuple(kernel_size):
        raise Mistake(f"{call}.weight has shape {tuple(found['weight'].shape)}, expected {tuple(kernel_size)}.",
                      SHAPE_HINT)
    if found["bias"].numel() != 1:
        raise Mistake(f"{call}.bias has shape {tuple(found['bias'].shape)}, expected (1,): one bias for the layer's "
                      "one output channel.", SHAPE_HINT)
    for name, value in (("weight", K), ("bias", b.reshape(found["bias"].shape))):
        try:
            layer.set(name, value)
        except StudentError as e:
            as_mistake(e, f"setting {call}.{name} to known values", PARAM_HINT)
    return layer, K, b


def diagnose(X, K, b, got) -> str:
    x, k, b = X.double(), K.double(), b.double()
    return first_matching_hint(got, {
        "add the bias: forward returns corr2d(x, self.weight) + self.bias.": lambda: corr2d_truth(x, k),
        "add the bias, do not subtract it: corr2d(x, self.weight) + self.bias.": lambda: corr2d_truth(x, k) - b,
        "you flipped the kernel: corr2d uses the weight as it is (a cross-correlation, book 7.2.1).":
            [lambda: corr2d_truth(x, k.flip(0, 1)) + b, lambda: corr2d_truth(x, k.flip(0)) + b,
             lambda: corr2d_truth(x, k.flip(1)) + b],
    }, default=FORWARD_HINT)


def forward_case(student, device, kernel_size, x_shape, seed, dtype=torch.float32):
    layer, K, b = with_values(student, device, kernel_size, seed, dtype)
    X = seeded(*x_shape, seed=seed + 2, dtype=dtype, device=device)
    call = (f"Conv2D(kernel_size={kernel_size})(x) for {'' if dtype == torch.float32 else 'float64 '}x of shape "
            f"{tuple(x_shape)}, with weight and bias set to known values")
    try:
        got = layer(X)
    except StudentError as e:
        hint = ("the weight has shape kernel_size and is the second argument of corr2d: corr2d(x, self.weight)."
                if any(w in e.message for w in ("size", "shape", "negative", "broadcast")) else
                "layer.double() converts registered parameters only: " + PARAM_HINT if "dtype" in e.message else
                FORWARD_HINT)
        as_mistake(e, call, hint)
    truth = (corr2d_truth(X.double(), K.double()) + b.double()).to(dtype)
    expect_close(got, truth, call, lambda: diagnose(X, K, b, got))


@pytest.mark.points(1.5)
def test_parameters_are_registered(student, device):
    for kernel_size in [(1, 2), (3, 2)]:
        layer = new(student, kernel_size)
        call = f"Conv2D(kernel_size={kernel_size})"
        names = layer.parameter_names()
        if sorted(names) != ["bias", "weight"]:
            raise Mistake(f"{call}.named_parameters() lists {names or 'nothing'}; expected exactly weight and bias.",
                          PARAM_HINT)


@pytest.mark.points(1.5)
def test_parameter_shapes(student, device):
    for kernel_size in [(1, 2), (3, 2), (2, 5), (1, 1)]:
        call = f"Conv2D(kernel_size={kernel_size})"
        found = found_params(new(student, kernel_size), call)
        if tuple(found["weight"].shape) != kernel_size:
            raise Mistake(f"{call}.weight has shape {tuple(found['weight'].shape)}, expected {kernel_size}.",
                          SHAPE_HINT)
        if found["bias"].numel() != 1:
            raise Mistake(f"{call}.bias has shape {tuple(found['bias'].shape)}, expected (1,): one bias for the "
                          "layer's one output channel, broadcast over the whole output.", SHAPE_HINT)
        if not bool(torch.isfinite(found["weight"]).all()):
            raise Mistake(f"a new {call}.weight holds NaN or inf.", "start from torch.rand(kernel_size).")


@pytest.mark.points(3)
def test_forward_matches_conv2d_plus_bias(student, device):
    for kernel_size, x_shape, seed in [((1, 2), (6, 8), 10), ((3, 2), (5, 7), 20), ((2, 4), (4, 4), 30),
                                       ((1, 1), (3, 5), 40)]:
        forward_case(student, device, kernel_size, x_shape, seed)


@pytest.mark.points(0.5)
def test_float64_after_double(student, device):
    """layer.double() converts registered parameters; the output is then float64."""
    forward_case(student, device, (2, 3), (5, 6), 50, torch.float64)


@pytest.mark.points(2.5)
def test_gradients_reach_weight_bias_and_input(student, device):
    kernel_size = (2, 3)
    layer, K, b = with_values(student, device, kernel_size, 60)
    X = seeded(5, 7, seed=62, device=device)
    call = f"Conv2D(kernel_size={kernel_size})(x), x of shape {tuple(X.shape)}"
    try:
        out = layer.run(X, requires_grad=[0]).value
    except StudentError as e:
        as_mistake(e, call, FORWARD_HINT)
    leaves = [t.detach().double().requires_grad_(True) for t in (X, K, b)]
    truth = corr2d_truth(leaves[0], leaves[1]) + leaves[2]
    expect_close(out, truth.float(), call, lambda: diagnose(X, K, b, out))
    G = seeded(*truth.shape, seed=63, device=device)
    truth.backward(G.double())
    try:
        grads = layer.backward([G])
    except StudentError as e:
        raise Mistake(f"backpropagating through {call} failed: {e.type}: {e.message}", DATA_HINT) from None
    for name, leaf in (("weight", leaves[1]), ("bias", leaves[2])):
        if name not in grads.params:
            raise Mistake(f"the layer's {name} is not among its parameters, so no gradient reaches it ({call}).",
                          PARAM_HINT)
        got = grads.params[name]
        if got is None:
            raise Mistake(f"no gradient reached the layer's {name} through {call}.", DATA_HINT)
        expect_close(got.reshape(leaf.shape), leaf.grad.float(), f"the gradient of the layer's {name} ({call})",
                     DATA_HINT)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached x through {call}.", "build the output from x with torch operations.")
    expect_close(grads.args[0], leaves[0].grad.float(), f"the gradient with respect to x of {call}", FORWARD_HINT)


@pytest.mark.points(1)
def test_forward_runs_corr2d_not_the_library(student, device):
    kernel_size = (3, 3)
    layer, K, b = with_values(student, device, kernel_size, 70)
    X = seeded(6, 6, seed=72, device=device)
    call = f"Conv2D(kernel_size={kernel_size})(x), x of shape {tuple(X.shape)}"
    try:
        out = layer.run(X, watch=CONV_BANNED)
    except StudentError as e:
        as_mistake(e, call, FORWARD_HINT)
    expect_close(out.value, corr2d_truth(X, K) + b, call, lambda: diagnose(X, K, b, out.value))
    expect_not_used(out.seen, CONV_BANNED, call,
                    "forward calls corr2d (the first task) with the layer's weight; nn.Conv2d, F.conv2d and unfold "
                    "are what this lesson builds.")
