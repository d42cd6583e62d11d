"""Grader for ch11-AddNorm: `AddNorm(norm_shape, dropout)`, LayerNorm(Dropout(Y) + X) (book 11.7.3).

The student's `ln` gets seeded gamma and beta (away from ones and zeros); the truth is F.layer_norm over the last
axis (eps 1e-5) on the grading device. Dropout is random, so training mode is checked by what it must look like:
with 4 features, each position's output must be LayerNorm(m * Y / (1 - p) + X) for one of the 16 keep-masks m
(found by trying them all, in float64), and the masks found must drop about a fraction p of Y's elements.
"""
import itertools
import math

import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape, \
    first_matching_hint, seeded
from autograder.graders.common.transformer import EPS, f64, layer_norm, ln_params, new, put
from autograder.recipe import Recipe

NAMES_HINT = ("keep the book's names: self.dropout = nn.Dropout(dropout) and self.ln = nn.LayerNorm(norm_shape), "
              "whose learnable scale and shift are ln.weight and ln.bias.")
FORMULA = "forward(X, Y) returns self.ln(self.dropout(Y) + X): dropout on Y, add X, then normalize."
DROP_Y_HINT = ("dropout applies to Y (the sublayer's output) only, before the addition: self.ln(self.dropout(Y) + "
               "X). X, the residual, is never dropped, and neither is the normalized result.")
EVAL_HINT = ("after .eval() dropout does nothing: use an nn.Dropout module (it follows the module's mode); "
             "F.dropout(Y, p) without training=self.training drops in eval mode too.")
INPLACE_HINT = ("compute a new tensor: X += self.dropout(Y) (or Y += X) writes into the caller's tensor; "
                "self.ln(self.dropout(Y) + X) does not.")


def describe(norm_shape, dropout, X, mode=""):
    return (f"AddNorm({norm_shape}, {dropout}){mode}(X, Y) for X and Y of shape {tuple(X.shape)}, "
            f"{str(X.dtype).replace('torch.', '')}")


def mean_var(Z, dim=-1, unbiased=False):
    return Z.mean(dim, keepdim=True), Z.var(dim, keepdim=True, unbiased=unbiased)


class Case:
    def __init__(self, device, shape, seed, dropout=0.0, dtype=torch.float32):
        self.d, self.dropout, self.dtype = shape[-1], dropout, dtype
        self.X = seeded(*shape, seed=seed, dtype=dtype, device=device)
        self.Y = seeded(*shape, seed=seed + 1, dtype=dtype, device=device, scale=1.5, shift=0.5)
        self.gamma, self.beta = ln_params(self.d, seed + 2, dtype, device)
        self.missing = set()   # parameters the student's layer does not have

    @property
    def args(self):
        return self.X, self.Y

    def layer(self, student, eval_mode=True):
        obj = new(student, f"AddNorm({self.d}, {self.dropout})", self.d, self.dropout,
                  hint="keep the book's signature: AddNorm(norm_shape, dropout).")
        if self.dtype == torch.float64:
            obj.method("double")
        for name in ("ln.weight", "ln.bias"):
            value = self.gamma if name == "ln.weight" else self.beta
            try:
                put(obj, name, value, NAMES_HINT)
            except Mistake as m:
                if "NoneType" not in str(m):
                    raise
                # an nn.LayerNorm without its scale and shift (test_layer_norm_parameters' to judge): the truth
                # then has gamma = 1, beta = 0
                self.gamma, self.beta = torch.ones_like(self.gamma), torch.zeros_like(self.beta)
                self.missing.add(name)
        return obj.eval() if eval_mode else obj

    def call(self, mode=" after .eval()"):
        return describe(self.d, self.dropout, self.X, mode)

    def expected(self):
        return layer_norm(self.Y + self.X, self.gamma, self.beta)

    def diagnose(self, got):
        X, Y, g, b = f64(self.X), f64(self.Y), f64(self.gamma), f64(self.beta)
        ln = lambda Z: layer_norm(Z, g, b)  # noqa: E731

        def over(dim, unbiased=False):
            Z = X + Y
            m, v = mean_var(Z, dim, unbiased)
            return g * (Z - m) / torch.sqrt(v + EPS) + b
        return first_matching_hint(got, {
            "add the residual before normalizing: self.ln(Y + X), not X + self.ln(Y) (normalize after the addition, "
            "\"post-norm\", as in the book).": [lambda: X + ln(Y), lambda: ln(X) + Y],
            "the residual connection adds the input X: self.ln(self.dropout(Y) + X), not self.ln(Y).": [
                lambda: ln(Y), lambda: ln(X)],
            "normalize the sum with self.ln (nn.LayerNorm(norm_shape), its weight and bias included): "
            "self.ln(self.dropout(Y) + X).": [lambda: X + Y, lambda: layer_norm(X + Y, None, None)],
            "layer normalization divides by the biased standard deviation (the mean of the squared deviations, "
            "unbiased=False), as nn.LayerNorm does.": lambda: over(-1, unbiased=True),
            "layer normalization computes each position's mean and variance over its features (the last axis), "
            "not over the positions or the examples.": [lambda: over(1), lambda: over(0), lambda: over((1, 2))],
        }, default=FORMULA, rtol=1e-3, atol=1e-4)

    def check(self, got, call):
        expected = self.expected()
        expect_shape(got, expected.shape, call, "AddNorm keeps the shape of X and Y.")
        expect_close(got, expected, call, lambda: self.diagnose(got))


def error_hint(e: StudentError):
    if e.type == "AttributeError":
        return NAMES_HINT
    if "in-place" in e.message:
        return INPLACE_HINT
    return ""


def evaluate(student, case, **kw):
    obj = case.layer(student)
    call = case.call()
    try:
        out = obj.run(*case.args, **kw)
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    try:
        case.check(out.value, call)
    except Mistake:
        again = obj.run(*case.args, seed=12345).value   # random after .eval(): dropout that ignores the mode
        if isinstance(again, torch.Tensor) and again.shape == out.value.shape and not torch.equal(again, out.value):
            raise Mistake(f"{call} gave two different results for the same input.", EVAL_HINT) from None
        raise
    return obj, out, call


@pytest.mark.points(1)
def test_layer_norm_parameters(student, device):
    for d in (6, 3):
        obj = new(student, f"AddNorm({d}, 0.5)", d, 0.5,
                  hint="keep the book's signature: AddNorm(norm_shape, dropout).")
        state = obj.state()
        for name, value in [("ln.weight", 1.0), ("ln.bias", 0.0)]:
            if name not in state:
                raise Mistake(f"AddNorm({d}, 0.5) has no parameter {name} (its parameters: {sorted(state)}).",
                              NAMES_HINT)
            expect_close(state[name], torch.full((d,), value, device=device),
                         f"{name} of a new AddNorm({d}, 0.5)", f"self.ln = nn.LayerNorm(norm_shape): {d} scales "
                                                               f"starting at 1 and {d} shifts starting at 0.")


@pytest.mark.points(3)
def test_matches_layer_norm_of_the_sum(student, device):
    evaluate(student, Case(device, (2, 3, 6), seed=10, dropout=0.5))
    evaluate(student, Case(device, (1, 5, 4), seed=20, dropout=0.2))   # a batch of 1
    evaluate(student, Case(device, (3, 2, 8), seed=30))


@pytest.mark.points(1)
def test_float64(student, device):
    evaluate(student, Case(device, (2, 4, 5), seed=40, dtype=torch.float64))


@pytest.mark.points(1)
def test_eval_mode_is_deterministic(student, device):
    case = Case(device, (4, 6, 8), seed=50, dropout=0.5)
    obj = case.layer(student)
    call = case.call()
    try:
        first = obj.run(*case.args, seed=1).value
        second = obj.run(*case.args, seed=2).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    expect_shape(first, case.X.shape, call, "AddNorm keeps the shape of X and Y.")
    expect_close(second, first, call + ", called a second time (it should give the same output)", EVAL_HINT,
                 check_dtype=False)
    case.check(first, call)


def masks(d, device):
    """All 2^d keep-masks of one position's features, (2^d, d)."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)), dtype=torch.float64, device=device)


def matching_masks(got, X, Y, gamma, beta, p, atol=2e-4):
    """For each position, the index of a keep-mask m with got = LN(m * Y / (1 - p) + X), or -1 if none does."""
    X, Y, got, gamma, beta = (f64(t) for t in (X, Y, got, gamma, beta))
    M = masks(X.shape[-1], X.device)                                           # (K, d)
    Z = X[..., None, :] + M * Y[..., None, :] / (1 - p)                        # (..., K, d)
    cand = layer_norm(Z, gamma, beta)
    ok = ((cand - got[..., None, :]).abs() <= atol + 1e-3 * got[..., None, :].abs()).all(-1)   # (..., K)
    return torch.where(ok.any(-1), ok.double().argmax(-1), torch.full_like(ok[..., 0], -1, dtype=torch.long)), M


@pytest.mark.points(2)
def test_training_drops_out_Y(student, device):
    p = 0.25
    case = Case(device, (8, 25, 4), seed=60, dropout=p)
    obj = case.layer(student, eval_mode=False)
    call = case.call(" in training mode")
    try:
        got = obj.run(*case.args, seed=3).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    expect_shape(got, case.X.shape, call, "AddNorm keeps the shape of X and Y.")
    if torch.allclose(f64(got), f64(case.expected()), rtol=1e-4, atol=1e-4):
        raise Mistake(f"{call} dropped no element of Y: the output is LayerNorm(Y + X) everywhere.",
                      "apply self.dropout = nn.Dropout(dropout) to Y in forward: " + FORMULA)
    found, M = matching_masks(got, case.X, case.Y, case.gamma, case.beta, p)
    if (found < 0).any():
        where = tuple(int(i) for i in (found < 0).nonzero()[0].tolist())
        swapped, _ = matching_masks(got, case.Y, case.X, case.gamma, case.beta, p)
        keep_rate, _ = matching_masks(got, case.X, case.Y, case.gamma, case.beta, 1 - p)
        hint = DROP_Y_HINT
        if (keep_rate >= 0).all():
            hint = (f"the kept elements were divided by {p} instead of 1 - {p}: nn.Dropout(dropout) drops each "
                    "element with probability dropout (not 1 - dropout) and divides the others by 1 - dropout.")
        elif (swapped >= 0).all():
            hint = "you dropped out X, the residual, instead of Y: " + DROP_Y_HINT
        elif bool((got == 0).any()):
            hint = "the normalized result was dropped out: " + DROP_Y_HINT
        raise Mistake(f"{call}: at {int((found < 0).sum())} of {found.numel()} positions (first at {where}) the output "
                      "is not LayerNorm(Dropout(Y) + X) for any choice of the dropped elements of Y (each kept one "
                      f"divided by 1 - {p}).", hint)
    kept = M[found].sum().item() / (found.numel() * case.d)
    rate, n = 1 - kept, found.numel() * case.d
    bound = 5 * math.sqrt(p * (1 - p) / n) + 1 / n
    if abs(rate - p) > bound:
        raise Mistake(f"{call} dropped {rate:.3f} of Y's {n} elements; with dropout = {p}, about {p} should be "
                      f"(allowed: {p} +- {bound:.3f}).", "nn.Dropout(dropout) drops each element with probability "
                                                         "dropout (not 1 - dropout).")


@pytest.mark.points(1.5)
def test_gradients_match_autograd(student, device):
    case = Case(device, (2, 3, 5), seed=70, dropout=0.5, dtype=torch.float64)
    obj, out, call = evaluate(student, case, requires_grad=[0, 1])
    G = seeded(*out.value.shape, seed=80, dtype=torch.float64, device=device)
    hint = "build the output from X, Y and ln's parameters with torch operations; do not detach anything."
    got = expect_backward(obj, [G], call, hint)
    X, Y = (t.clone().requires_grad_(True) for t in case.args)
    gamma, beta = case.gamma.clone().requires_grad_(True), case.beta.clone().requires_grad_(True)
    layer_norm(Y + X, gamma, beta).backward(G)
    for name, g, want in [("X", got.args[0], X.grad), ("Y", got.args[1], Y.grad),
                          ("ln.weight", got.params.get("ln.weight"), gamma.grad),
                          ("ln.bias", got.params.get("ln.bias"), beta.grad)]:
        if name in case.missing:
            continue
        if g is None:
            raise Mistake(f"no gradient reached {name} through {call}.", hint)
        expect_close(g, want, f"the gradient of {call} with respect to {name}", hint)


@pytest.mark.points(0.5)
def test_inputs_not_modified(student, device):
    case = Case(device, (2, 4, 6), seed=90)
    recipe = Recipe(lambda X, Y: case.call(), lambda args, got, call: case.check(got, call),
                    target=lambda impl, d: case.layer(impl), error_hint=error_hint)
    recipe.unmodified(0.5, lambda d: case.args, names=["X", "Y"], hint=INPLACE_HINT)(student, device)
