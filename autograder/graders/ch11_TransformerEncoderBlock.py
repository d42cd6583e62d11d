"""Grader for ch11-TransformerEncoderBlock (book 11.7.4): multi-head self-attention and the positionwise FFN, each
in an AddNorm (post-norm).

The truth is PyTorch's nn.TransformerEncoderLayer(norm_first=False, activation="relu", batch_first=True) in float64
on the grading device, with the student's weights copied in: in_proj_weight = [W_q; W_k; W_v], in_proj_bias = the
attention's biases (zero when use_bias=False, the book's default), out_proj = W_o, linear1/linear2 = ffn.dense1/2,
norm1/norm2 = addnorm1.ln/addnorm2.ln. Valid lengths become masks: (batch_size,) a key-padding mask, (batch_size, n)
a per-query attention mask of shape (batch_size * num_heads, n, n). No valid length is 0 (PyTorch gives NaN there,
the book a uniform row). The reference layer runs in training mode with dropout 0, which keeps it on its plain
(non-fused) path. While the block is graded, the lesson's AddNorm and PositionWiseFFN are the reference solutions
and MultiHeadAttention is the given one.
"""
import math

import pytest
import torch
from torch import nn

from autograder.checks import FATAL, Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape, \
    first_matching_hint, seeded
from autograder.graders.common.transformer import (BANNED, bias, f64, ffn, layer_norm, ln_params, materialize, new,
                                                   put, weight)
from autograder.recipe import Recipe

NAMES_HINT = ("keep the book's names: self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias), "
              "self.addnorm1 = AddNorm(num_hiddens, dropout), self.ffn = PositionWiseFFN(ffn_num_hiddens, "
              "num_hiddens), self.addnorm2 = AddNorm(num_hiddens, dropout).")
FFN_HINT = ("self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens): its hidden layer has ffn_num_hiddens units and "
            "its output num_hiddens features, so that the residual addition Y + ffn(Y) works.")
BIAS_HINT = ("pass use_bias on to the attention: MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias), whose "
             "W_q, W_k, W_v, W_o then have biases.")
SIGNATURE_HINT = ("keep the book's signature: TransformerEncoderBlock(num_hiddens, ffn_num_hiddens, num_heads, "
                  "dropout, use_bias=False).")
FORMULA = ("Y = self.addnorm1(X, self.attention(X, X, X, valid_lens)), then return self.addnorm2(Y, self.ffn(Y)).")
ATTENTION = ("W_q", "W_k", "W_v", "W_o")


def describe(H, F, heads, dropout, use_bias, X, valid_lens, mode=""):
    lens = "None" if valid_lens is None else str(valid_lens.tolist())
    return (f"TransformerEncoderBlock({H}, {F}, {heads}, {dropout}{', use_bias=True' if use_bias else ''}){mode}"
            f"(X, valid_lens) for X of shape {tuple(X.shape)}, {str(X.dtype).replace('torch.', '')}, "
            f"valid_lens = {lens}")


def make_weights(H, F, use_bias, seed, dtype, device):
    W = {}
    for i, name in enumerate(ATTENTION):
        W[f"attention.{name}.weight"] = weight(H, H, seed + i, dtype, device)
        if use_bias:
            W[f"attention.{name}.bias"] = bias(H, seed + 10 + i, dtype, device)
    W["ffn.dense1.weight"], W["ffn.dense1.bias"] = weight(F, H, seed + 20, dtype, device), bias(F, seed + 21, dtype,
                                                                                                 device)
    W["ffn.dense2.weight"], W["ffn.dense2.bias"] = weight(H, F, seed + 22, dtype, device), bias(H, seed + 23, dtype,
                                                                                                 device)
    for k, name in enumerate(("addnorm1", "addnorm2")):
        W[f"{name}.ln.weight"], W[f"{name}.ln.bias"] = ln_params(H, seed + 30 + 2 * k, dtype, device)
    return W


def torch_layer(W, H, F, heads, device):
    """nn.TransformerEncoderLayer in float64 holding the weights W."""
    layer = nn.TransformerEncoderLayer(H, heads, F, dropout=0.0, activation="relu", batch_first=True, norm_first=False,
                                       device=device, dtype=torch.float64)
    layer.train()   # dropout 0: deterministic, and on the plain path (the fused one serves eval mode only)
    zeros = torch.zeros(H, dtype=torch.float64, device=device)
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(torch.cat([W[f"attention.{n}.weight"] for n in ATTENTION[:3]]))
        layer.self_attn.in_proj_bias.copy_(torch.cat([W.get(f"attention.{n}.bias", zeros) for n in ATTENTION[:3]]))
        layer.self_attn.out_proj.weight.copy_(W["attention.W_o.weight"])
        layer.self_attn.out_proj.bias.copy_(W.get("attention.W_o.bias", zeros))
        for mine, theirs in [("ffn.dense1", layer.linear1), ("ffn.dense2", layer.linear2),
                             ("addnorm1.ln", layer.norm1), ("addnorm2.ln", layer.norm2)]:
            theirs.weight.copy_(W[f"{mine}.weight"])
            theirs.bias.copy_(W[f"{mine}.bias"])
    return layer


def torch_grads(layer, H) -> dict:
    """The reference layer's parameter gradients under the student's parameter names."""
    a = layer.self_attn
    g = {"attention.W_o.weight": a.out_proj.weight.grad, "attention.W_o.bias": a.out_proj.bias.grad}
    for i, n in enumerate(ATTENTION[:3]):
        g[f"attention.{n}.weight"] = a.in_proj_weight.grad[i * H:(i + 1) * H]
        g[f"attention.{n}.bias"] = a.in_proj_bias.grad[i * H:(i + 1) * H]
    for mine, theirs in [("ffn.dense1", layer.linear1), ("ffn.dense2", layer.linear2),
                         ("addnorm1.ln", layer.norm1), ("addnorm2.ln", layer.norm2)]:
        g[f"{mine}.weight"], g[f"{mine}.bias"] = theirs.weight.grad, theirs.bias.grad
    return g


def masks_for(valid_lens, n, heads, device):
    """nn.TransformerEncoderLayer's keyword arguments for the book's valid lengths (True: a masked key)."""
    if valid_lens is None:
        return {}
    keys = torch.arange(n, device=device)
    vl = valid_lens.to(device)
    if vl.dim() == 1:
        return {"src_key_padding_mask": keys[None, :] >= vl[:, None]}
    return {"src_mask": (keys[None, None, :] >= vl[..., None]).repeat_interleave(heads, dim=0)}


def attention_f(X, vl, W, heads, masked=True):
    """The book's multi-head self-attention in plain torch (float64), for the variants."""
    B, n, H = X.shape
    p = H // heads

    def proj(name, Z):
        return Z @ W[f"attention.{name}.weight"].T + W.get(f"attention.{name}.bias", 0)

    def split(Z):
        return Z.reshape(B, n, heads, p).transpose(1, 2)
    q, k, v = (split(proj(name, X)) for name in ATTENTION[:3])
    scores = q @ k.transpose(-1, -2) / math.sqrt(p)
    if vl is not None and masked:
        lens = vl.to(X.device) if vl.dim() == 2 else vl.to(X.device)[:, None].expand(B, n)
        scores = scores.masked_fill(torch.arange(n, device=X.device) >= lens[:, None, :, None], -1e6)
    out = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, n, H)
    return proj("W_o", out)


def variant(X, vl, W, heads, mistake):
    """The block with one of the usual mistakes, in float64."""
    def ln(i, Z):
        return layer_norm(Z, W[f"addnorm{i}.ln.weight"], W[f"addnorm{i}.ln.bias"])

    def f(Z):
        return ffn(Z, W["ffn.dense1.weight"], W["ffn.dense1.bias"], W["ffn.dense2.weight"], W["ffn.dense2.bias"])
    if mistake == "pre_norm":
        Y = X + attention_f(ln(1, X), vl, W, heads)
        return Y + f(ln(2, Y))
    # one AddNorm object in both places: the grader's second set of gamma, beta overwrote the first
    Y = ln(2 if mistake == "shared_addnorm" else 1, X + attention_f(X, vl, W, heads, masked=mistake != "no_mask"))
    return {"no_mask": lambda: ln(2, Y + f(Y)), "ffn_on_X": lambda: ln(2, Y + f(X)),
            "residual_X": lambda: ln(2, X + f(Y)), "no_ffn": lambda: Y, "one_addnorm": lambda: ln(1, Y + f(Y)),
            "shared_addnorm": lambda: ln(2, Y + f(Y)),
            "no_attention": lambda: ln(2, X + f(X))}[mistake]()


def diagnose(X, vl, W, heads, got) -> str:
    X64, W64 = f64(X), {k: f64(v) for k, v in W.items()}

    def wrong(mistake):
        return lambda: variant(X64, vl, W64, heads, mistake)
    return first_matching_hint(got, {
        "pass valid_lens on to the attention, self.attention(X, X, X, valid_lens): without it the padded positions "
        "are attended to.": None if vl is None else wrong("no_mask"),
        "the FFN reads Y, the output of the first AddNorm, not X: self.addnorm2(Y, self.ffn(Y)).": wrong("ffn_on_X"),
        "the second residual connection adds Y, the FFN's input, not X: self.addnorm2(Y, self.ffn(Y)).":
            wrong("residual_X"),
        "the block has two sublayers: after the attention's AddNorm comes the FFN's, self.addnorm2(Y, self.ffn(Y)).":
            wrong("no_ffn"),
        "the second sublayer has its own AddNorm (self.addnorm2, with its own gamma and beta): make two AddNorm layers "
        "and use addnorm2 after the FFN.": [wrong("one_addnorm"), wrong("shared_addnorm")],
        "the first sublayer is the self-attention: Y = self.addnorm1(X, self.attention(X, X, X, valid_lens)).":
            wrong("no_attention"),
        "the book's block normalizes after each residual addition (post-norm): AddNorm(X, sublayer(X)) = "
        "LN(dropout(sublayer(X)) + X), not X + sublayer(LN(X)).": wrong("pre_norm"),
    }, default=FORMULA, rtol=1e-3, atol=1e-4)


def error_hint(e: StudentError):
    message = e.message
    if e.type == "AttributeError":
        return NAMES_HINT
    if "cannot be multiplied" in message or "must match the size" in message:
        return FFN_HINT
    return ""


class Case:
    def __init__(self, device, B, n, H, F, heads, valid_lens, seed, use_bias=False, dropout=0.0, dtype=torch.float32):
        self.H, self.F, self.heads, self.use_bias, self.dropout, self.dtype = H, F, heads, use_bias, dropout, dtype
        self.X = seeded(B, n, H, seed=seed, dtype=dtype, device=device)
        self.valid_lens = None if valid_lens is None else torch.tensor(valid_lens, dtype=torch.int64).to(device)
        self.W = make_weights(H, F, use_bias, seed + 100, dtype, device)
        self.device = device

    @property
    def args(self):
        return self.X, self.valid_lens

    def call(self, mode=""):
        return describe(self.H, self.F, self.heads, self.dropout, self.use_bias, self.X, self.valid_lens, mode)

    def layer(self, student, eval_mode=False, W=None):
        obj = build(student, self.H, self.F, self.heads, self.dropout, self.use_bias, self.device)
        if self.dtype == torch.float64:
            obj.method("double")
        for name, value in (W or self.W).items():
            try:
                put(obj, name, value, FFN_HINT if name.startswith("ffn.") else NAMES_HINT)
            except Mistake as m:
                if "NoneType" in str(m) and name.startswith("attention."):
                    raise Mistake(str(m).split("\nHint:")[0], BIAS_HINT) from None
                raise
        return obj.eval() if eval_mode else obj

    def expected(self, W=None):
        layer = torch_layer({k: f64(v) for k, v in (W or self.W).items()}, self.H, self.F, self.heads, self.device)
        out = layer(f64(self.X), **masks_for(self.valid_lens, self.X.shape[1], self.heads, self.device))
        return out.detach().to(self.dtype)

    def check(self, got, call, W=None):
        expected = self.expected(W)
        expect_shape(got, expected.shape, call, "the block keeps the shape of X: (batch_size, n, num_hiddens). "
                                                + FFN_HINT)
        expect_close(got, expected, call, lambda: diagnose(self.X, self.valid_lens, W or self.W, self.heads, got))

    def run(self, student, mode="", eval_mode=False, **kw):
        obj = self.layer(student, eval_mode)
        call = self.call(mode)
        try:
            out = obj.run(*self.args, **kw)
        except StudentError as e:
            as_mistake(e, call, error_hint(e))
        self.check(out.value, call)
        return obj, out, call


def build(student, H, F, heads, dropout, use_bias, device):
    """The student's block, its lazy layers sized by one call each on zeros (not through the student's forward)."""
    args = (H, F, heads, dropout) + ((use_bias,) if use_bias else ())
    obj = new(student, f"TransformerEncoderBlock{args}", *args, hint=SIGNATURE_HINT)
    for name in ATTENTION:
        materialize(obj, f"attention.{name}", H, device, NAMES_HINT)
    materialize(obj, "ffn.dense1", H, device, NAMES_HINT)
    materialize(obj, "ffn.dense2", F, device, NAMES_HINT)
    return obj


def read(obj, path, kind):
    try:
        return obj.bound(f"{path}.__{kind}__").run().value
    except StudentError as e:
        if e.type in FATAL or e.type == "NotImplementedError":
            raise
        raise Mistake(f"reading self.{path} of your block failed: {e.type}: {e.message}", NAMES_HINT) from None


@pytest.mark.points(1.5)
def test_sublayers_and_sizes(student, device):
    H, F, heads, p = 8, 16, 2, 0.3
    obj = build(student, H, F, heads, p, False, device)
    call = f"TransformerEncoderBlock({H}, {F}, {heads}, {p})"
    state = obj.state()
    shapes = {f"attention.{n}.weight": (H, H) for n in ATTENTION}
    shapes.update({"ffn.dense1.weight": (F, H), "ffn.dense2.weight": (H, F), "addnorm1.ln.weight": (H,),
                   "addnorm2.ln.weight": (H,)})
    for name, shape in shapes.items():
        if name not in state:
            raise Mistake(f"{call} has no parameter {name} (its parameters: {sorted(state)}).", NAMES_HINT)
        if tuple(state[name].shape) != shape:
            raise Mistake(f"{call}.{name} has shape {tuple(state[name].shape)}, expected {shape} (after one call on "
                          f"inputs of width {H}).", FFN_HINT if name.startswith("ffn") else NAMES_HINT)
    names = obj.parameter_names()
    if not any(n.startswith("addnorm2.") for n in names):
        raise Mistake(f"{call}.addnorm2 is the same layer as addnorm1 (its parameters are addnorm1's).",
                      "make two AddNorm layers, each with its own gamma and beta: self.addnorm1 = AddNorm(...) and "
                      "self.addnorm2 = AddNorm(...).")
    if read(obj, "attention.num_heads", "int") != heads:
        raise Mistake(f"{call}.attention has {read(obj, 'attention.num_heads', 'int')} heads, expected {heads}.",
                      "MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias): the arguments in this order.")
    for path in ("attention.attention.dropout.p", "addnorm1.dropout.p", "addnorm2.dropout.p"):
        got = read(obj, path, "float")
        if got != p:
            raise Mistake(f"{call}.{path} is {got}, expected the block's dropout {p}.",
                          "pass the block's dropout to the attention and to both AddNorm layers.")


@pytest.mark.points(1.5)
def test_matches_torch_encoder_layer_without_mask(student, device):
    Case(device, B=2, n=5, H=8, F=16, heads=2, valid_lens=None, seed=10).run(student)
    Case(device, B=1, n=3, H=12, F=8, heads=3, valid_lens=None, seed=20).run(student, mode=" after .eval()",
                                                                            eval_mode=True)   # a batch of 1


@pytest.mark.points(2)
def test_one_valid_length_per_example(student, device):
    Case(device, B=3, n=6, H=8, F=16, heads=2, valid_lens=[2, 6, 4], seed=30).run(student)
    Case(device, B=2, n=4, H=12, F=24, heads=4, valid_lens=[4, 1], seed=40).run(student)


@pytest.mark.points(1)
def test_one_valid_length_per_query(student, device):
    Case(device, B=2, n=4, H=8, F=16, heads=2, valid_lens=[[1, 2, 3, 4], [4, 2, 2, 1]], seed=50).run(student)


@pytest.mark.points(1)
def test_use_bias(student, device):
    Case(device, B=2, n=5, H=8, F=12, heads=2, valid_lens=[3, 5], seed=60, use_bias=True).run(student)


@pytest.mark.points(1)
def test_dropout_only_in_training(student, device):
    case = Case(device, B=2, n=6, H=8, F=16, heads=2, valid_lens=[4, 6], seed=70, dropout=0.5)
    obj = case.layer(student, eval_mode=True)
    call = case.call(" after .eval()")
    try:
        first, second = obj.run(*case.args, seed=1).value, obj.run(*case.args, seed=2).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    expect_shape(first, case.X.shape, call, "the block keeps the shape of X.")
    expect_close(second, first, call + ", called a second time (it should give the same output)",
                 "after .eval() nothing is dropped: the dropout of the sublayers (nn.Dropout) follows the module's "
                 "mode.", check_dtype=False)
    case.check(first, call)
    # both sublayers' outputs made 0 (W_o = 0, dense2 = 0): in training mode, dropout of a 0 output is 0, so the
    # block gives LN2(LN1(X)) exactly; a block that hands AddNorm its arguments the other way drops out X instead
    W = dict(case.W, **{"attention.W_o.weight": torch.zeros_like(case.W["attention.W_o.weight"]),
                        "ffn.dense2.weight": torch.zeros_like(case.W["ffn.dense2.weight"]),
                        "ffn.dense2.bias": torch.zeros_like(case.W["ffn.dense2.bias"])})
    obj = case.layer(student, W=W)
    call = case.call(" in training mode") + ", with W_o and ffn.dense2 set to 0 (both sublayers output 0)"
    try:
        got = obj.run(*case.args, seed=3).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    expect_close(got, case.expected(W), call,
                 "with sublayer outputs of 0 only the residual X is left, which dropout never touches: AddNorm(X, Y) "
                 "takes the sublayer's input X first and its output Y second, self.addnorm1(X, self.attention(X, X, X, "
                 "valid_lens)) and self.addnorm2(Y, self.ffn(Y)); the other way round, X gets dropped.")
    obj = case.layer(student)
    trained = obj.run(*case.args, seed=4).value
    if isinstance(trained, torch.Tensor) and trained.shape == first.shape and torch.allclose(trained, first):
        raise Mistake(f"{case.call(' in training mode')} gave exactly the eval-mode output: nothing was dropped out.",
                      "pass the block's dropout to the attention and to both AddNorm layers.")


@pytest.mark.points(1.5)
def test_gradients_match_autograd(student, device):
    case = Case(device, B=2, n=4, H=8, F=12, heads=2, valid_lens=[2, 4], seed=80, dtype=torch.float64)
    obj, out, call = case.run(student, requires_grad=[0])
    G = seeded(*out.value.shape, seed=90, dtype=torch.float64, device=device)
    hint = "build the output from X and the sublayers' weights with torch operations; do not detach anything."
    got = expect_backward(obj, [G], call, hint)
    layer = torch_layer(case.W, case.H, case.F, case.heads, device)
    X = case.X.clone().requires_grad_(True)
    layer(X, **masks_for(case.valid_lens, X.shape[1], case.heads, device)).backward(G)
    if got.args[0] is None:
        raise Mistake(f"no gradient reached X through {call}.", hint)
    expect_close(got.args[0], X.grad, f"the gradient of {call} with respect to X", hint)
    want = torch_grads(layer, case.H)
    for name in case.W:
        g = got.params.get(name)
        if g is None:
            raise Mistake(f"no gradient reached {name} through {call}.", hint)
        expect_close(g, want[name], f"the gradient of {call} with respect to {name}", hint)


@pytest.mark.points(0.5)
def test_inputs_not_modified_and_written_from_scratch(student, device):
    case = Case(device, B=2, n=5, H=8, F=16, heads=2, valid_lens=[3, 5], seed=100)
    recipe = Recipe(lambda X, vl: case.call(), lambda args, got, call: case.check(got, call),
                    target=lambda impl, d: case.layer(impl), error_hint=error_hint)
    inputs = lambda d: case.args  # noqa: E731
    recipe.unmodified(0.25, inputs, names=["X", "valid_lens"],
                      hint="compute new tensors; do not write into X (X += ...) or valid_lens.")(student, device)
    recipe.from_scratch(0.25, inputs, BANNED,
                        hint="build the block from the given MultiHeadAttention, your AddNorm and PositionWiseFFN; "
                             "nn.MultiheadAttention, nn.TransformerEncoderLayer and F.scaled_dot_product_attention "
                             "are what this lesson builds.")(student, device)
