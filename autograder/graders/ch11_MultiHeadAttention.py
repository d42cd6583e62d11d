"""Grader for ch11-MultiHeadAttention: `MultiHeadAttention` with `transpose_qkv` / `transpose_output` (book 11.5).

The expected outputs come from torch's own scaled_dot_product_attention, with the heads split by hand and the
weights of W_q, W_k, W_v and W_o set in the student's object. While this exercise is graded the lesson's
masked_softmax is the reference one (see autograder/notebook.py `program`).
"""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape,
                               first_matching_hint, seeded)
from autograder.recipe import Recipe

BANNED = {"functions": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                        "multi_head_attention_forward", "_native_multi_head_attention"],
          "aten": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                   "_scaled_dot_product_flash_attention", "_scaled_dot_product_flash_attention_for_cpu",
                   "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
                   "_scaled_dot_product_fused_attention_overrideable", "_fused_sdp_choice",
                   "_native_multi_head_attention", "_transformer_encoder_layer_fwd"]}
REPEAT_HINT = ("copy each example's valid_lens entry num_heads times next to itself: "
               "torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0) gives [l0, l0, l1, l1, ...], "
               "matching transpose_qkv's rows (example b, head i at row b * num_heads + i); valid_lens.repeat(...) "
               "gives [l0, l1, l0, l1, ...], which pairs the lengths with the wrong examples.")
TRANSPOSE_HINT = ("transpose_qkv: X.reshape(batch_size, n, num_heads, -1), then X.permute(0, 2, 1, 3) to put the "
                  "heads in front of the positions, then reshape to (-1, n, num_hiddens / num_heads). A reshape "
                  "without the permute cuts the sequence, not the features, into heads.")
WEIGHTS = ("W_q", "W_k", "W_v", "W_o")


def make_weights(num_hiddens, sizes, dtype, device, seed):
    """W_q, W_k, W_v of shape (num_hiddens, size of queries / keys / values), W_o (num_hiddens, num_hiddens)."""
    ins = dict(zip(WEIGHTS, (*sizes, num_hiddens)))
    return {name: seeded(num_hiddens, n, dtype=dtype, device=device, seed=seed + i, scale=1 / math.sqrt(n))
            for i, (name, n) in enumerate(ins.items())}


def build(student, num_hiddens, num_heads, W, dropout=0.0, dtype=torch.float32):
    """The student's layer with the given weights. LazyLinear fixes its input size at its first call, so call
    each projection once (on zeros of the right width) before setting its weight; this does not depend on the
    student's forward. (Hand-written: no recipe builds an object this way.)"""
    obj = student.new(num_hiddens, num_heads, dropout, seed=0)
    for name in WEIGHTS:
        obj.bound(name).run(torch.zeros(1, W[name].shape[1], device=W[name].device))
    if dtype == torch.float64:
        obj.method("double")
    for name in WEIGHTS:
        try:
            obj.set(f"{name}.weight", W[name])
        except StudentError as e:
            as_mistake(e, f"setting {name}.weight", "keep the given __init__: four nn.LazyLinear(num_hiddens, "
                                                     "bias=bias) layers named W_q, W_k, W_v and W_o.")
    return obj


def head_lengths(valid_lens, batch, num_queries, num_heads, repeat_wrongly=False):
    """One row of per-query lengths for each (example, head) row of the (batch * num_heads) axis."""
    vl = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(batch, num_queries)
    return vl.repeat(num_heads, 1) if repeat_wrongly else vl.repeat_interleave(num_heads, dim=0)


def expected_of(Q, K, V, valid_lens, W, num_heads):
    """Multi-head attention through torch's scaled_dot_product_attention (its scale is 1 / sqrt(head size))."""
    B, n, m = Q.shape[0], Q.shape[1], K.shape[1]
    H = W["W_o"].shape[0]

    def heads(X, Wt):
        return (X @ Wt.T).reshape(B, X.shape[1], num_heads, H // num_heads).transpose(1, 2)

    mask = None
    if valid_lens is not None:
        lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(B, n)
        mask = (torch.arange(m, device=Q.device) < lens.to(Q.device)[..., None])[:, None]   # (B, 1, n, m)
    out = F.scaled_dot_product_attention(heads(Q, W["W_q"]), heads(K, W["W_k"]), heads(V, W["W_v"]),
                                         attn_mask=mask)
    return out.transpose(1, 2).reshape(B, n, H) @ W["W_o"].T


def variant_of(Q, K, V, valid_lens, W, num_heads, repeat_wrongly=False, scale_by=None, no_mask=False,
               plain_reshape=False, plain_merge=False, no_W_o=False):
    """The book's computation with one of the usual mistakes, to name it in the hint."""
    B, n, m = Q.shape[0], Q.shape[1], K.shape[1]
    H = W["W_o"].shape[0]
    p = H // num_heads

    def split(X):
        if plain_reshape:
            return X.reshape(-1, X.shape[1], p)
        return X.reshape(B, X.shape[1], num_heads, p).permute(0, 2, 1, 3).reshape(-1, X.shape[1], p)

    def merge(X):
        if plain_reshape or plain_merge:
            return X.reshape(B, n, H)
        return X.reshape(B, num_heads, n, p).permute(0, 2, 1, 3).reshape(B, n, H)

    q, k, v = split(Q @ W["W_q"].T), split(K @ W["W_k"].T), split(V @ W["W_v"].T)
    scores = q @ k.transpose(1, 2) / math.sqrt(scale_by or p)
    if valid_lens is not None and not no_mask:
        lens = head_lengths(valid_lens.to(Q.device), B, n, num_heads, repeat_wrongly)
        scores = scores.masked_fill(torch.arange(m, device=Q.device) >= lens[..., None], -1e6)
    out = merge(torch.softmax(scores, -1) @ v)
    return out if no_W_o else out @ W["W_o"].T


def diagnose(Q, K, V, valid_lens, W, num_heads, got) -> str:
    B, n = Q.shape[0], Q.shape[1]
    H = W["W_o"].shape[0]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (B, n, H):
        return (f"the output has one row per query: shape (batch_size, no. of queries, num_hiddens) = {(B, n, H)}. "
                "transpose_output must undo transpose_qkv, and W_o maps the concatenated heads to num_hiddens.")
    args = [t.to(torch.float64) if t is not None and t.is_floating_point() else t for t in (Q, K, V, valid_lens)]
    W64 = {k: w.to(torch.float64) for k, w in W.items()}

    def wrong(**mistake):
        return lambda: variant_of(*args, W64, num_heads, **mistake)

    return first_matching_hint(got, {
        REPEAT_HINT: None if valid_lens is None or B == 1 else wrong(repeat_wrongly=True),
        "the keys past each valid length were not masked: pass valid_lens (copied num_heads times) to "
        "self.attention.": wrong(no_mask=True),
        f"the scores were divided by sqrt(num_hiddens) = sqrt({H}); each head divides by the square root of its "
        f"own size, num_hiddens / num_heads = {H // num_heads}: split the heads (transpose_qkv) before "
        "attending, and DotProductAttention uses the per-head size.": wrong(scale_by=H),
        TRANSPOSE_HINT: wrong(plain_reshape=True),
        "transpose_output must undo transpose_qkv: X.reshape(-1, num_heads, n, p), permute(0, 2, 1, 3), then "
        "reshape to (batch_size, n, -1); a reshape without the permute mixes the heads of different positions.":
            wrong(plain_merge=True),
        "the concatenated heads must go through the output projection: return self.W_o(output_concat).":
            wrong(no_W_o=True),
    }, rtol=1e-3, atol=1e-4, default=(
        "project with W_q, W_k, W_v, split the heads with transpose_qkv, copy valid_lens with "
        "torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0), attend with self.attention, merge "
        "with transpose_output, then apply W_o."))


def error_hint(e: StudentError):
    if "cannot be multiplied" in e.message:
        return ("W_q projects the queries, W_k the keys and W_v the values (their feature sizes may differ); W_o "
                "takes the concatenated heads.")
    return None


def describe(Q, K, V, valid_lens, num_hiddens, num_heads, dropout=0.0):
    lens = "None" if valid_lens is None else str(valid_lens.tolist())
    return (f"MultiHeadAttention({num_hiddens}, {num_heads}, {dropout})(queries, keys, values, valid_lens) for "
            f"queries of shape {tuple(Q.shape)}, keys {tuple(K.shape)}, values {tuple(V.shape)}, "
            f"valid_lens = {lens}")


class Case:
    """One input: tensors, weights, the expected output, and the student's layer built with those weights."""

    def __init__(self, device, B, n, m, sizes, num_hiddens, num_heads, valid_lens, seed, dtype=torch.float32):
        self.num_hiddens, self.num_heads = num_hiddens, num_heads
        self.Q = seeded(B, n, sizes[0], dtype=dtype, device=device, seed=seed)
        self.K = seeded(B, m, sizes[1], dtype=dtype, device=device, seed=seed + 1)
        self.V = seeded(B, m, sizes[2], dtype=dtype, device=device, seed=seed + 2)
        self.valid_lens = None if valid_lens is None else torch.tensor(valid_lens, dtype=torch.int64).to(device)
        self.W = make_weights(num_hiddens, sizes, dtype, device, seed + 10)
        self.dtype = dtype

    @property
    def args(self):
        return self.Q, self.K, self.V, self.valid_lens

    def expected(self):
        return expected_of(*self.args, self.W, self.num_heads)

    def layer(self, student, dropout=0.0, eval_mode=False):
        obj = build(student, self.num_hiddens, self.num_heads, self.W, dropout, self.dtype)
        return obj.eval() if eval_mode else obj

    def call(self, dropout=0.0):
        return describe(*self.args, self.num_hiddens, self.num_heads, dropout)

    def check(self, got, dropout=0.0, call=None):
        call = call or self.call(dropout)
        hint = lambda: diagnose(*self.args, self.W, self.num_heads, got)  # noqa: E731 - only if a check fails
        expected = self.expected()
        expect_shape(got, expected.shape, call, hint)
        expect_close(got, expected, call, hint)

    def recipe(self, dropout=0.0, eval_mode=False):
        """The standard tests on this input: its truth, and the student's layer with its weights (the recipe's
        inputs are then `lambda device: case.args`)."""
        return Recipe(lambda *args: self.call(dropout), lambda args, got, call: self.check(got, dropout, call),
                      target=lambda impl, device: self.layer(impl, dropout, eval_mode), error_hint=error_hint)

    def run(self, student, dropout=0.0, **kw):
        obj = self.layer(student, dropout)
        return obj, self.recipe(dropout).checked(obj, self.args, **kw)


# The checks of properties (eval mode, from scratch, speed) count only for a correct result.


@pytest.mark.points(1)
def test_transpose_qkv(student, device):
    X = seeded(2, 3, 8, device=device, seed=1)
    obj = student.new(8, 4, 0.0, seed=0)
    call = "transpose_qkv(X) for X of shape (2, 3, 8) with num_heads = 4"
    got = obj.bound("transpose_qkv")(X)
    expected = X.reshape(2, 3, 4, 2).permute(0, 2, 1, 3).reshape(8, 3, 2)
    hint = TRANSPOSE_HINT
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.equal(got, X.reshape(8, 3, 2)):
        hint = "you reshaped without the permute: " + TRANSPOSE_HINT
    expect_shape(got, (8, 3, 2), call, "the result has shape (batch_size * num_heads, n, num_hiddens / num_heads).")
    expect_close(got, expected, call, hint)


@pytest.mark.points(1)
def test_transpose_output(student, device):
    X = seeded(6, 4, 5, device=device, seed=2)
    obj = student.new(15, 3, 0.0, seed=0)
    call = "transpose_output(X) for X of shape (6, 4, 5) with num_heads = 3"
    got = obj.bound("transpose_output")(X)
    expected = X.reshape(2, 3, 4, 5).permute(0, 2, 1, 3).reshape(2, 4, 15)
    expect_shape(got, (2, 4, 15), call, "the result has shape (batch_size, n, num_heads * p) for X of shape "
                                        "(batch_size * num_heads, n, p).")
    expect_close(got, expected, call, "transpose_output is the inverse of transpose_qkv: X.reshape(-1, num_heads, "
                                      "n, p), permute(0, 2, 1, 3), then reshape to (batch_size, n, -1).")


@pytest.mark.points(1.5)
def test_matches_torch_attention_without_mask(student, device):
    # queries and key-value pairs of different lengths and different feature sizes
    Case(device, B=2, n=3, m=5, sizes=(6, 7, 4), num_hiddens=8, num_heads=2, valid_lens=None, seed=10).run(student)
    Case(device, B=1, n=4, m=2, sizes=(12, 12, 12), num_hiddens=12, num_heads=3, valid_lens=None,
         seed=20).run(student)


@pytest.mark.points(2)
def test_one_valid_length_per_example(student, device):
    # batch > 1 with different lengths per example: what tells repeat_interleave from repeat
    Case(device, B=3, n=4, m=6, sizes=(8, 8, 8), num_hiddens=8, num_heads=2, valid_lens=[2, 6, 4],
         seed=30).run(student)
    Case(device, B=2, n=2, m=5, sizes=(6, 5, 3), num_hiddens=12, num_heads=4, valid_lens=[5, 1],
         seed=40).run(student)


@pytest.mark.points(1)
def test_one_valid_length_per_query(student, device):
    Case(device, B=2, n=3, m=5, sizes=(8, 8, 8), num_hiddens=8, num_heads=2,
         valid_lens=[[1, 3, 5], [4, 2, 1]], seed=50).run(student)


@pytest.mark.points(0.5)
def test_dropout_only_in_training(student, device):
    case = Case(device, B=2, n=4, m=6, sizes=(8, 8, 8), num_hiddens=8, num_heads=2, valid_lens=[3, 6], seed=60)
    obj = case.layer(student, dropout=0.5)
    obj.eval()
    call = case.call(0.5) + " after .eval()"
    first = obj.run(*case.args, seed=1).value
    second = obj.run(*case.args, seed=2).value
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor) and first.shape == second.shape:
        expect_close(second, first, call + ", called a second time (it should give the same output)",
                     "after .eval() dropout does nothing: apply it through self.attention (nn.Dropout follows the "
                     "module's mode); F.dropout(x, p) without training=self.training drops in eval mode too.")
    case.check(first, 0.5, call)
    obj.train()
    trained = obj.run(*case.args, seed=3).value
    if isinstance(trained, torch.Tensor) and trained.shape == first.shape and torch.allclose(trained, first):
        raise Mistake(f"{case.call(0.5)} in training mode gave exactly the eval-mode output: the attention weights "
                      "were not dropped out.", "attend with self.attention: DotProductAttention applies its "
                                               "dropout to the attention weights in training mode.")


@pytest.mark.points(1.5)
def test_gradients_match_autograd(student, device):
    # hand-written: the gradients of the layer's weights W_q, W_k, W_v and W_o are checked too
    case = Case(device, B=2, n=3, m=4, sizes=(8, 6, 5), num_hiddens=8, num_heads=2, valid_lens=[[1, 4, 2], [3, 3, 4]],
                seed=70, dtype=torch.float64)
    obj, out = case.run(student, requires_grad=[0, 1, 2])
    G = seeded(2, 3, 8, dtype=torch.float64, device=device, seed=80)
    got = expect_backward(obj, [G], case.call(), "build the output from the inputs and the weights with torch "
                                                  "operations; do not detach anything or rebuild tensors with "
                                                  "torch.tensor(...).")
    leaves = {n: t.clone().requires_grad_(True) for n, t in zip(("queries", "keys", "values"), case.args)}
    W = {n: w.clone().requires_grad_(True) for n, w in case.W.items()}
    expected_of(*leaves.values(), case.valid_lens, W, case.num_heads).backward(G)
    hint = "the output must come from the inputs and W_q, W_k, W_v, W_o through differentiable torch operations."
    for (name, leaf), g in zip(leaves.items(), got.args[:3]):
        if g is None:
            raise Mistake(f"the gradient of {case.call()} with respect to {name}: none reached {name}.", hint)
        expect_close(g, leaf.grad, f"the gradient of {case.call()} with respect to {name}", hint)
    for name in WEIGHTS:
        g = got.params.get(f"{name}.weight")
        if g is None:
            raise Mistake(f"the gradient of {case.call()} with respect to {name}.weight: none reached it.", hint)
        expect_close(g, W[name].grad, f"the gradient of {case.call()} with respect to {name}.weight", hint)


# The next two are the recipe's standard tests, on a Case: the layer they call is built with its weights.

@pytest.mark.points(0.5)
def test_inputs_not_modified_and_written_from_scratch(student, device):
    case = Case(device, B=2, n=3, m=5, sizes=(8, 8, 8), num_hiddens=8, num_heads=2, valid_lens=[2, 5], seed=90)
    recipe, inputs = case.recipe(), lambda d: case.args
    recipe.unmodified(0.5, inputs, names=["queries", "keys", "values", "valid_lens"],
                      hint="compute new tensors (valid_lens = torch.repeat_interleave(...) makes one); do not write "
                           "into the caller's.")(student, device)
    recipe.from_scratch(0.5, inputs, BANNED,
                        hint="attend with self.attention (the lesson's DotProductAttention); nn.MultiheadAttention, "
                             "F.multi_head_attention_forward and F.scaled_dot_product_attention are what this "
                             "exercise builds.")(student, device)


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    case = Case(device, B=4, n=32, m=32, sizes=(64, 64, 64), num_hiddens=64, num_heads=4,
                valid_lens=[32, 20, 9, 27], seed=100)
    case.recipe(eval_mode=True).speed(
        1, lambda d: case.args,
        hint="split the heads with reshape and permute, and run all heads and examples in one call of "
             "self.attention, instead of looping over them in Python.")(student, reference, device)
