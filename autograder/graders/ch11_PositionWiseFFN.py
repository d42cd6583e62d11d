"""Grader for ch11-PositionWiseFFN: `PositionWiseFFN(ffn_num_hiddens, ffn_num_outputs)` (book 11.7.2).

The student's `dense1` and `dense2` (nn.LazyLinear) are sized by one call each on zeros, then given seeded weights
and biases; the truth is F.linear(ReLU(F.linear(X, W1, b1)), W2, b2) on the grading device, in float64 where the
input is. The layer acts on the last axis, whatever the leading axes.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape, \
    first_matching_hint, seeded
from autograder.graders.common.transformer import bias, f64, ffn, materialize, new, put, weight
from autograder.recipe import Recipe

NAMES_HINT = ("keep the book's names: self.dense1 = nn.LazyLinear(ffn_num_hiddens), self.relu = nn.ReLU(), "
              "self.dense2 = nn.LazyLinear(ffn_num_outputs).")
SIZES_HINT = ("dense1 has ffn_num_hiddens outputs and dense2 has ffn_num_outputs: nn.LazyLinear(ffn_num_hiddens) "
              "then nn.LazyLinear(ffn_num_outputs), in that order (the constructor's arguments are (ffn_num_hiddens, "
              "ffn_num_outputs)).")
BIAS_HINT = "keep both layers' biases: nn.LazyLinear(n) has one by default (do not pass bias=False)."
AXES_HINT = ("nn.Linear acts on the last axis of a tensor of any shape: do not reshape X (to three axes, or to "
             "(batch_size * n, d)), just return self.dense2(self.relu(self.dense1(X))).")
RANDOM_HINT = ("the FFN is deterministic: no dropout (or other randomness) inside it, the book drops out in AddNorm. "
               "forward returns self.dense2(self.relu(self.dense1(X))).")
DEFAULT_HINT = "forward returns self.dense2(self.relu(self.dense1(X))): dense, ReLU, dense."


def describe(h, o, X, mode=""):
    return (f"PositionWiseFFN({h}, {o}){mode}(X) for X of shape {tuple(X.shape)}, "
            f"{str(X.dtype).replace('torch.', '')}")


class Case:
    """One input and the weights set in the student's layer."""

    def __init__(self, device, shape, h, o, seed, dtype=torch.float32):
        self.h, self.o, self.dtype = h, o, dtype
        self.missing = set()   # parameters the student's layer does not have (a bias)
        d = shape[-1]
        self.X = seeded(*shape, seed=seed, dtype=dtype, device=device)
        self.W = {"dense1.weight": weight(h, d, seed + 1, dtype, device),
                  "dense1.bias": bias(h, seed + 2, dtype, device),
                  "dense2.weight": weight(o, h, seed + 3, dtype, device),
                  "dense2.bias": bias(o, seed + 4, dtype, device)}

    def layer(self, student, device):
        obj = new(student, f"PositionWiseFFN({self.h}, {self.o})", self.h, self.o,
                  hint="keep the book's signature: PositionWiseFFN(ffn_num_hiddens, ffn_num_outputs).")
        materialize(obj, "dense1", self.X.shape[-1], device, NAMES_HINT)
        materialize(obj, "dense2", self.h, device, NAMES_HINT)
        if self.dtype == torch.float64:
            obj.method("double")
        for name, value in list(self.W.items()):
            try:
                put(obj, name, value, SIZES_HINT)
            except Mistake as m:
                if "NoneType" not in str(m) or not name.endswith("bias"):
                    raise
                # a layer without its bias (test_layers_and_sizes' to judge): the truth has a zero bias there
                self.W[name] = torch.zeros_like(value)
                self.missing.add(name)
        return obj

    def expected(self, X=None):
        W = self.W
        return ffn(self.X if X is None else X, W["dense1.weight"], W["dense1.bias"], W["dense2.weight"],
                   W["dense2.bias"])

    def diagnose(self, got):
        X, W = f64(self.X), {k: f64(v) for k, v in self.W.items()}
        lin1 = lambda Z: torch.nn.functional.linear(Z, W["dense1.weight"], W["dense1.bias"])  # noqa: E731
        lin2 = lambda Z: torch.nn.functional.linear(Z, W["dense2.weight"], W["dense2.bias"])  # noqa: E731
        return first_matching_hint(got, {
            "put the ReLU between the two layers: dense2(relu(dense1(X))); without it the two layers are one "
            "linear map.": lambda: lin2(lin1(X)),
            "the ReLU goes between the layers only, not after dense2: the FFN's output is dense2's, which may be "
            "negative.": lambda: torch.relu(lin2(torch.relu(lin1(X)))),
            "the activation is the ReLU (nn.ReLU()), not a sigmoid or tanh.": [
                lambda: lin2(torch.sigmoid(lin1(X))), lambda: lin2(torch.tanh(lin1(X)))],
            "apply the ReLU to dense1's output, not to X: dense2(relu(dense1(X))).":
                lambda: lin2(lin1(torch.relu(X))),
        }, default=DEFAULT_HINT, rtol=1e-3, atol=1e-4)

    def check(self, got, call):
        expected = self.expected()
        expect_shape(got, expected.shape, call, "the output has the input's shape but for its last axis, which "
                                                "becomes ffn_num_outputs. " + AXES_HINT)
        expect_close(got, expected, call, lambda: self.diagnose(got))


def error_hint(e: StudentError):
    message = e.message
    if any(w in message for w in ("shape", "size", "cannot be multiplied", "unpack")):
        return AXES_HINT
    return ""


def run(student, device, case, mode="", **kw):
    obj = case.layer(student, device)
    if mode:
        obj.method("eval")
    call = describe(case.h, case.o, case.X, mode)
    try:
        out = obj.run(case.X, **kw)
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    try:
        case.check(out.value, call)
    except Mistake:
        again = obj.run(case.X, seed=12345).value   # a result that changes from call to call: dropout inside
        if isinstance(again, torch.Tensor) and again.shape == out.value.shape and not torch.equal(again, out.value):
            raise Mistake(f"{call} gave two different results for the same input.", RANDOM_HINT) from None
        raise
    return obj, out, call


def shape_of(obj, name, call):
    """The shape of the parameter `name` ("dense1.weight") of the student's module, or a Mistake if it has none."""
    try:
        value = obj.bound(f"{name}.detach").run().value
    except StudentError as e:
        if e.type == "NotImplementedError":
            raise
        raise Mistake(f"{call}.{name}: {e.type}: {e.message}", BIAS_HINT if name.endswith("bias") else NAMES_HINT) \
            from None
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{call}.{name} is not a tensor.", BIAS_HINT if name.endswith("bias") else NAMES_HINT)
    return tuple(value.shape)


@pytest.mark.points(1.5)
def test_layers_and_sizes(student, device):
    for h, o, d in [(16, 5, 8), (6, 12, 3)]:
        call = f"PositionWiseFFN({h}, {o})"
        obj = new(student, call, h, o, hint="keep the book's signature: PositionWiseFFN(ffn_num_hiddens, "
                                            "ffn_num_outputs).")
        materialize(obj, "dense1", d, device, NAMES_HINT)
        got = shape_of(obj, "dense1.weight", call)
        if got != (h, d):
            raise Mistake(f"after one call on inputs of width {d}, {call}.dense1.weight has shape {got}, expected "
                          f"({h}, {d}).", SIZES_HINT)
        if shape_of(obj, "dense1.bias", call) != (h,):
            raise Mistake(f"{call}.dense1.bias should have shape ({h},).", BIAS_HINT)
        materialize(obj, "dense2", h, device, NAMES_HINT)
        got = shape_of(obj, "dense2.weight", call)
        if got != (o, h):
            raise Mistake(f"{call}.dense2.weight has shape {got}, expected ({o}, {h}).", SIZES_HINT)
        if shape_of(obj, "dense2.bias", call) != (o,):
            raise Mistake(f"{call}.dense2.bias should have shape ({o},).", BIAS_HINT)


@pytest.mark.points(3.5)
def test_matches_dense_relu_dense(student, device):
    # in training mode (a new module's): the book's FFN has no dropout, so training changes nothing
    run(student, device, Case(device, (2, 3, 8), h=16, o=5, seed=10))
    run(student, device, Case(device, (1, 4, 6), h=12, o=6, seed=20))   # a batch of 1
    run(student, device, Case(device, (3, 5, 4), h=8, o=4, seed=30), mode=" after .eval()")


@pytest.mark.points(1.5)
def test_any_number_of_leading_axes(student, device):
    run(student, device, Case(device, (5, 8), h=6, o=3, seed=40))
    run(student, device, Case(device, (2, 3, 4, 8), h=6, o=3, seed=50))


@pytest.mark.points(1)
def test_float64(student, device):
    run(student, device, Case(device, (2, 5, 6), h=10, o=4, seed=60, dtype=torch.float64))


@pytest.mark.points(2)
def test_gradients_match_autograd(student, device):
    case = Case(device, (2, 3, 6), h=8, o=5, seed=70, dtype=torch.float64)
    obj, out, call = run(student, device, case, requires_grad=[0])
    G = seeded(*out.value.shape, seed=80, dtype=torch.float64, device=device)
    hint = "build the output from X and the layers' weights with torch operations; do not detach anything."
    got = expect_backward(obj, [G], call, hint)
    X = case.X.clone().requires_grad_(True)
    W = {k: v.clone().requires_grad_(True) for k, v in case.W.items()}
    ffn(X, W["dense1.weight"], W["dense1.bias"], W["dense2.weight"], W["dense2.bias"]).backward(G)
    if got.args[0] is None:
        raise Mistake(f"no gradient reached X through {call}.", hint)
    expect_close(got.args[0], X.grad, f"the gradient of {call} with respect to X", hint)
    for name, leaf in W.items():
        if name in case.missing:
            continue
        g = got.params.get(name)
        if g is None:
            raise Mistake(f"no gradient reached {name} through {call}.", hint)
        expect_close(g, leaf.grad, f"the gradient of {call} with respect to {name}", hint)


@pytest.mark.points(0.5)
def test_input_not_modified(student, device):
    case = Case(device, (2, 4, 6), h=8, o=6, seed=90)
    recipe = Recipe(lambda X: describe(case.h, case.o, X), lambda args, got, call: case.check(got, call),
                    target=lambda impl, d: case.layer(impl, d), error_hint=error_hint)
    recipe.unmodified(0.5, lambda d: (case.X,), names=["X"],
                      hint="compute new tensors (self.dense1(X) is one); do not write into X (X.relu_(), "
                           "X[...] = ...).")(student, device)
