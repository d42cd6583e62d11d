"""Grader for ch06-MyLinear: `MyLinear(in_units, units)`, relu(X @ weight + bias) with weight (in_units, units)
and bias (units,) registered as nn.Parameter (book 6.5.2).

The layer is built in the sandbox (`student.new`), its parameters are read with state_dict() and
named_parameters(), overwritten with known values (`.set`) for the forward and gradient checks, and compared with
relu(X @ W + b) computed here in float64. The book's listing reads `.data` in forward, which cuts the parameters
out of autograd: it loses the gradient test (the lesson says why).
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, first_matching_hint, seeded
from autograder.graders.common.modules import state

PARAM_HINT = ("create the parameters in __init__ as self.weight = nn.Parameter(torch.randn(in_units, units)) and "
              "self.bias = nn.Parameter(torch.randn(units,)): a plain tensor attribute is not registered "
              "(named_parameters(), state_dict(), .to(device) and optimizers ignore it).")
SHAPE_HINT = ("the book's weight has shape (in_units, units) and is used as X @ W (nn.Linear's own weight is the "
              "transpose, (units, in_units), used as X @ W.T); the bias has shape (units,).")
DATA_HINT = ("use self.weight and self.bias themselves in forward: .data (as in the book's listing), .detach() or "
             "torch.tensor(...) give the same numbers outside autograd, so no gradient reaches the parameters "
             "and training never changes them.")


def new(student, in_units, units):
    try:
        return student.new(in_units, units, seed=0)
    except StudentError as e:
        as_mistake(e, f"MyLinear({in_units}, {units})",
                   "the constructor takes in_units and units, as in the book." if e.type == "TypeError" else "")


def diagnose(X, W, b, got) -> str:
    x, w, b = X.double(), W.double(), b.double()
    return first_matching_hint(got, {
        "apply the ReLU: forward returns F.relu(X @ W + b).": lambda: x @ w + b,
        "add the bias before the ReLU: relu(X @ W + b), not relu(X @ W) + b.": lambda: torch.relu(x @ w) + b,
        "add the bias: relu(X @ W + b).": lambda: torch.relu(x @ w),
        "the activation is the ReLU, max(0, z).": lambda: torch.sigmoid(x @ w + b),
    }, default="forward(X) returns relu(X @ self.weight + self.bias).")


class Layout:
    """How the student's tensor is laid out relative to the book's: the same, transposed (nn.Linear's orientation)
    or reshaped (a bias of shape (1, units)). The forward and gradient tests set and read values in the student's
    layout, so that a layer that is right but laid out differently loses only the shape test."""

    def __init__(self, book_shape, theirs):
        self.book, self.theirs = tuple(book_shape), tuple(theirs)
        self.transposed = len(self.book) == 2 and self.theirs == self.book[::-1] and self.book != self.book[::-1]

    def fits(self):
        return self.theirs == self.book or self.transposed or \
            (torch.Size(self.theirs).numel() == torch.Size(self.book).numel())

    def to_theirs(self, t):
        return t.T.contiguous() if self.transposed else t.reshape(self.theirs)

    def to_book(self, t):
        return t.T if self.transposed else t.reshape(self.book)


def with_values(student, device, in_units, units, seed, dtype=torch.float32):
    """A new layer whose weight and bias hold known values (on the grading device, in `dtype`), in its own layout."""
    layer = new(student, in_units, units)
    call = f"MyLinear({in_units}, {units})"
    if dtype == torch.float64:
        try:
            layer.method("double")
        except StudentError as e:
            as_mistake(e, f"{call}.double()")
    found = state(layer, call)
    W = seeded(in_units, units, seed=seed, dtype=dtype, device=device, scale=0.5)
    b = seeded(units, seed=seed + 1, dtype=dtype, device=device, scale=0.5, shift=0.2)
    layouts = {}
    for name, value in (("weight", W), ("bias", b)):
        layout = Layout(value.shape, found[name].shape if name in found else value.shape)
        if not layout.fits():
            raise Mistake(f"{call}.{name} has shape {layout.theirs}, expected {layout.book}.", SHAPE_HINT)
        try:
            layer.set(name, layout.to_theirs(value))
        except StudentError as e:
            as_mistake(e, f"setting {call}.{name} to known values", PARAM_HINT)
        layouts[name] = layout
    return layer, W, b, layouts


@pytest.mark.points(2)
def test_parameters_are_registered(student, device):
    for in_units, units in [(5, 3), (64, 8)]:
        layer = new(student, in_units, units)
        call = f"MyLinear({in_units}, {units})"
        names = layer.parameter_names()
        if sorted(names) != ["bias", "weight"]:
            raise Mistake(f"{call}.named_parameters() lists {names or 'nothing'}; expected exactly weight and bias.",
                          PARAM_HINT)
        keys = sorted(state(layer, call))
        if keys != ["bias", "weight"]:
            raise Mistake(f"{call}.state_dict() holds {keys or 'nothing'}; expected exactly weight and bias "
                          "(parameters, not buffers or other tensors).", PARAM_HINT)


@pytest.mark.points(2)
def test_parameter_shapes(student, device):
    for in_units, units in [(5, 3), (64, 8), (1, 4)]:
        call = f"MyLinear({in_units}, {units})"
        found = state(new(student, in_units, units), call)
        for name, shape in (("weight", (in_units, units)), ("bias", (units,))):
            if name not in found:
                raise Mistake(f"{call} has no parameter {name} (it has: {', '.join(sorted(found)) or 'nothing'}).",
                              PARAM_HINT)
            if tuple(found[name].shape) != shape:
                raise Mistake(f"{call}.{name} has shape {tuple(found[name].shape)}, expected {shape}.", SHAPE_HINT)


@pytest.mark.points(0.5)
def test_weights_start_random(student, device):
    call = "MyLinear(64, 8)"
    found = state(new(student, 64, 8), call)
    W = found.get("weight")
    if W is None or W.numel() < 2:
        raise Mistake(f"{call} has no weight of shape (64, 8).", PARAM_HINT)
    if not bool(torch.isfinite(W).all()) or W.double().std().item() < 0.1:
        raise Mistake(f"{call}.weight starts with values of spread {W.double().std().item():.3g}: all (nearly) "
                      "equal, so every output unit would compute the same thing.",
                      "draw the initial weight with torch.randn(in_units, units), as the book does.")


def forward_case(student, device, in_units, units, n, seed, dtype=torch.float32):
    layer, W, b, _ = with_values(student, device, in_units, units, seed, dtype)
    X = seeded(n, in_units, seed=seed + 2, dtype=dtype, device=device)
    call = (f"MyLinear({in_units}, {units})(X) for {'' if dtype == torch.float32 else 'float64 '}X of shape "
            f"{(n, in_units)}, with weight and bias set to known values")
    try:
        got = layer(X)
    except StudentError as e:
        hint = (SHAPE_HINT if "shape" in e.message or "size" in e.message else
                "layer.double() converts registered parameters only: " + PARAM_HINT if "dtype" in e.message else "")
        as_mistake(e, call, hint)
    truth = torch.relu(X.double() @ W.double() + b.double()).to(dtype)
    expect_close(got, truth, call, lambda: diagnose(X, W, b, got))


@pytest.mark.points(2.5)
def test_forward_matches_relu_of_xw_plus_b(student, device):
    for in_units, units, n, seed in [(5, 3, 4, 10), (64, 8, 2, 20), (3, 2, 1, 40)]:
        forward_case(student, device, in_units, units, n, seed)


@pytest.mark.points(0.5)
def test_float64_after_double(student, device):
    """net.double() converts registered parameters; the output is then float64."""
    forward_case(student, device, 7, 6, 5, 30, torch.float64)


@pytest.mark.points(2.5)
def test_gradients_reach_weight_bias_and_input(student, device):
    in_units, units, n = 6, 5, 4
    layer, W, b, layouts = with_values(student, device, in_units, units, 50)
    X = seeded(n, in_units, seed=52, device=device)
    call = f"MyLinear({in_units}, {units})(X), X of shape {(n, in_units)}"
    try:
        out = layer.run(X, requires_grad=[0]).value
    except StudentError as e:
        as_mistake(e, call)
    leaves = [t.detach().double().requires_grad_(True) for t in (X, W, b)]
    truth = torch.relu(leaves[0] @ leaves[1] + leaves[2])
    expect_close(out, truth.float(), call, lambda: diagnose(X, W, b, out))
    G = seeded(n, units, seed=53, device=device)
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
        expect_close(layouts[name].to_book(got), leaf.grad.float(), f"the gradient of the layer's {name} ({call})",
                     DATA_HINT)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached X through {call}.", "build the output from X with torch operations.")
    expect_close(grads.args[0], leaves[0].grad.float(), f"the gradient with respect to X of {call}",
                 "forward returns relu(X @ self.weight + self.bias).")
