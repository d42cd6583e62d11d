"""Grader for ch11-AdditiveAttention: `AdditiveAttention(num_hiddens, dropout).forward(queries, keys, values,
valid_lens)` (book 11.3.4), with the lesson's given masked_softmax.

The layer is built with the lesson's (given) __init__; each LazyLinear is sized by one call on zeros of the right
width (which does not depend on the student's forward), then W_q, W_k and w_v get the grader's weights through the
Instance API. The truth is computed here in float64: scores w_v^T tanh(W_q q + W_k k), the book's masked softmax
(-1e6), and the weighted sum of the values. Dropout is checked from the output for values [I | 1].
"""
import math

import pytest
import torch

from autograder.checks import (Mistake, StudentError, expect_backward, expect_close, expect_shape, first_matching_hint,
                               seeded)
from autograder.graders.common.attention import (attribute, check_dropout_in_training, expect_weights,
                                                 identity_values, lengths, lens_text, masked_softmax64, qkv,
                                                 set_weight, size_lazy)
from autograder.recipe import Recipe

WEIGHTS = ("W_q", "W_k", "w_v")
GENERIC_HINT = ("queries, keys = self.W_q(queries), self.W_k(keys); features = torch.tanh(queries.unsqueeze(2) + "
                "keys.unsqueeze(1)) of shape (batch_size, no. of queries, no. of keys, num_hiddens); scores = "
                "self.w_v(features).squeeze(-1); self.attention_weights = masked_softmax(scores, valid_lens); return "
                "torch.bmm(self.dropout(self.attention_weights), values).")
STORE_HINT = ("keep the weights that masked_softmax returns, before dropout: self.attention_weights = "
              "masked_softmax(scores, valid_lens), then multiply self.dropout(self.attention_weights) with the values.")
DROPOUT_HINT = ("apply self.dropout (the nn.Dropout made in __init__) to the attention weights, and only there: "
                "torch.bmm(self.dropout(self.attention_weights), values). nn.Dropout follows the module's mode "
                "(off after .eval()); F.dropout(x, p) without training=self.training drops in eval mode too.")
INIT_HINT = "keep the given __init__: W_q, W_k (nn.LazyLinear(num_hiddens, bias=False)) and w_v (nn.LazyLinear(1, " \
            "bias=False))."
SQUEEZE_HINT = ("remove only the last axis of w_v's output, .squeeze(-1): a bare .squeeze() also removes the batch "
                "axis when batch_size is 1, or the queries axis for a single query (as in the book's example), and "
                "masked_softmax then gets scores of the wrong shape.")
BROADCAST_HINT = ("queries.unsqueeze(2) has shape (batch_size, no. of queries, 1, num_hiddens) and keys.unsqueeze(1) "
                  "(batch_size, 1, no. of keys, num_hiddens); their sum broadcasts to one feature vector per "
                  "query-key pair. W_q projects the queries and W_k the keys (their sizes may differ).")


def make_weights(num_hiddens, q_size, k_size, device, seed):
    """W_q (h, q), W_k (h, k), w_v (1, h), in float64: large enough that tanh bends (its missing shows)."""
    return {"W_q": seeded(num_hiddens, q_size, seed=seed, dtype=torch.float64, device=device,
                          scale=1.5 / math.sqrt(q_size)),
            "W_k": seeded(num_hiddens, k_size, seed=seed + 1, dtype=torch.float64, device=device,
                          scale=1.5 / math.sqrt(k_size)),
            "w_v": seeded(1, num_hiddens, seed=seed + 2, dtype=torch.float64, device=device, scale=1.5)}


def scores64(Q, K, W, act=torch.tanh, swap=False, transposed=False):
    Q, K = Q.to(torch.float64), K.to(torch.float64)
    q = Q @ (W["W_k"] if swap else W["W_q"]).T
    k = K @ (W["W_q"] if swap else W["W_k"]).T
    if transposed:
        return (act(q.unsqueeze(1) + k.unsqueeze(2)) @ W["w_v"].T).squeeze(-1).transpose(1, 2)
    return (act(q.unsqueeze(2) + k.unsqueeze(1)) @ W["w_v"].T).squeeze(-1)


def weights64(Q, K, valid_lens, W, **mistake):
    return masked_softmax64(scores64(Q, K, W, **{k: v for k, v in mistake.items() if k != "no_mask"}),
                            None if mistake.get("no_mask") else valid_lens)


def wrong_weights(Q, K, valid_lens, W):
    same = Q.shape[-1] == K.shape[-1]
    return {
        "the features were not passed through tanh: features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1)) "
        "(the additive score is w_v^T tanh(W_q q + W_k k)).": lambda: weights64(Q, K, valid_lens, W, act=lambda x: x),
        "the activation is tanh, not ReLU: w_v^T tanh(W_q q + W_k k).":
            lambda: weights64(Q, K, valid_lens, W, act=torch.relu),
        "W_q projects the queries and W_k the keys, not the other way round.":
            (lambda: weights64(Q, K, valid_lens, W, swap=True)) if same else None,
        "the keys past each valid length were not masked: pass valid_lens to masked_softmax.":
            None if valid_lens is None else (lambda: weights64(Q, K, valid_lens, W, no_mask=True)),
        "queries.unsqueeze(1) + keys.unsqueeze(2) puts the keys along the rows: the scores must have one row per "
        "query, queries.unsqueeze(2) + keys.unsqueeze(1).":
            (lambda: weights64(Q, K, valid_lens, W, transposed=True)) if Q.shape[1] == K.shape[1] else None,
    }


def diagnose(args, W, got, weights=False) -> str:
    Q, K, V, valid_lens = args
    B, n, m, v = Q.shape[0], Q.shape[1], K.shape[1], V.shape[-1]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != ((B, n, m) if weights else (B, n, v)):
        return (f"the output has shape (batch_size, no. of queries, value dimension) = {(B, n, v)}. "
                + (SQUEEZE_HINT if 1 in (B, n) else BROADCAST_HINT))
    V64 = V.to(torch.float64)
    candidates = {hint: (None if f is None else (lambda f=f: f() if weights else f() @ V64))
                  for hint, f in wrong_weights(Q, K, valid_lens, W).items()}
    return first_matching_hint(got, candidates, default=GENERIC_HINT)


def describe(Q, K, V, valid_lens, num_hiddens, dropout=0.0):
    return (f"AdditiveAttention({num_hiddens}, {dropout})(queries, keys, values, valid_lens) for queries of shape "
            f"{tuple(Q.shape)}, keys {tuple(K.shape)}, values {tuple(V.shape)}, valid_lens = {lens_text(valid_lens)}")


def error_hint(e: StudentError, shape=None):
    """`shape` = (batch_size, no. of queries, no. of keys) of the call that raised."""
    if not any(w in e.message for w in ("shape", "size", "dimension", "must match", "cannot be multiplied")):
        return None
    if "cannot be multiplied" in e.message:
        return BROADCAST_HINT
    if "squeeze()" in e.where:
        return SQUEEZE_HINT
    if shape is not None and 1 in shape:
        return SQUEEZE_HINT + " Also: " + BROADCAST_HINT
    return BROADCAST_HINT


class Case:
    """One input: tensors, weights, the truth, and the student's layer built with those weights."""

    def __init__(self, device, B, n, m, sizes, num_hiddens, valid_lens, seed, dtype=torch.float32):
        self.Q, self.K, self.V = qkv(B, n, m, sizes, dtype, device, seed)
        self.valid_lens = lengths(valid_lens, device)
        self.num_hiddens, self.dtype, self.device = num_hiddens, dtype, device
        self.W = make_weights(num_hiddens, sizes[0], sizes[1], device, seed + 10)

    @property
    def args(self):
        return self.Q, self.K, self.V, self.valid_lens

    def call(self, dropout=0.0):
        return describe(*self.args, self.num_hiddens, dropout)

    def weights(self):
        return weights64(self.Q, self.K, self.valid_lens, self.W)

    def expected(self):
        return self.weights() @ self.V.to(torch.float64)

    def layer(self, student, dropout=0.0, eval_mode=True):
        call = f"AdditiveAttention({self.num_hiddens}, {dropout})"
        obj = student.new(self.num_hiddens, dropout, seed=0)
        widths = {"W_q": self.Q.shape[-1], "W_k": self.K.shape[-1], "w_v": self.num_hiddens}
        for name in WEIGHTS:
            size_lazy(obj, name, widths[name], self.device, call, INIT_HINT)
        if self.dtype == torch.float64:
            obj.method("double")
        for name in WEIGHTS:
            set_weight(obj, f"{name}.weight", self.W[name].to(self.dtype), call, INIT_HINT)
        return obj.eval() if eval_mode else obj

    def check(self, got, call):
        hint = lambda: diagnose(self.args, self.W, got)  # noqa: E731 - only if a check fails
        expected = self.expected()
        expect_shape(got, expected.shape, call, hint)
        if got.dtype != self.dtype:
            raise Mistake(f"{call} returned dtype {got.dtype}, expected {self.dtype} (the inputs').", GENERIC_HINT)
        expect_close(got, expected.to(self.dtype), call, hint)

    def recipe(self, dropout=0.0):
        shape = (self.Q.shape[0], self.Q.shape[1], self.K.shape[1])
        return Recipe(lambda *args: self.call(dropout), lambda args, got, call: self.check(got, call),
                      target=lambda impl, device: self.layer(impl, dropout),
                      error_hint=lambda e: error_hint(e, shape))

    def run(self, student, **kw):
        obj = self.layer(student)
        return obj, self.recipe().checked(obj, self.args, **kw)


def run(student, device, *cases):
    for kw in cases:
        Case(device, **kw).run(student)


# The checks of properties (weights, dropout, gradients, inputs, speed) count only for a correct output.

@pytest.mark.points(1.5)
def test_matches_truth_without_mask(student, device):
    # queries and keys of different sizes (the book's 20 and 2), and a case with n = m and equal sizes
    run(student, device, dict(B=2, n=3, m=10, sizes=(20, 2, 4), num_hiddens=8, valid_lens=None, seed=1),
        dict(B=3, n=4, m=4, sizes=(6, 6, 3), num_hiddens=5, valid_lens=None, seed=2))


@pytest.mark.points(1.5)
def test_one_valid_length_per_example(student, device):
    run(student, device, dict(B=2, n=2, m=10, sizes=(20, 2, 4), num_hiddens=8, valid_lens=[2, 6], seed=3),
        dict(B=3, n=4, m=6, sizes=(5, 7, 3), num_hiddens=6, valid_lens=[1, 6, 4], seed=4))


@pytest.mark.points(1.5)
def test_one_valid_length_per_query(student, device):
    run(student, device, dict(B=2, n=3, m=5, sizes=(4, 3, 2), num_hiddens=6, valid_lens=[[1, 3, 5], [4, 2, 1]],
                              seed=5),
        dict(B=2, n=2, m=4, sizes=(3, 5, 2), num_hiddens=4, valid_lens=[[0, 4], [2, 3]], seed=6,
             dtype=torch.float64))


@pytest.mark.points(1)
def test_single_query_and_batch_of_one(student, device):
    # the book's example has a single query; .squeeze() without an axis breaks there
    run(student, device, dict(B=2, n=1, m=10, sizes=(20, 2, 4), num_hiddens=8, valid_lens=[2, 6], seed=7),
        dict(B=1, n=3, m=4, sizes=(3, 3, 2), num_hiddens=4, valid_lens=[3], seed=8),
        dict(B=2, n=3, m=1, sizes=(4, 2, 3), num_hiddens=4, valid_lens=None, seed=9))


@pytest.mark.points(1)
def test_attention_weights_stored(student, device):
    for kw, dropout, mode in ((dict(B=3, n=4, m=6, sizes=(5, 7, 3), num_hiddens=6, valid_lens=[1, 6, 4], seed=10),
                               0.0, "eval"),
                              (dict(B=2, n=3, m=5, sizes=(4, 4, 2), num_hiddens=6,
                                    valid_lens=[[1, 3, 5], [4, 2, 1]], seed=11), 0.5, "train")):
        case = Case(device, **kw)
        obj = case.layer(student, dropout, eval_mode=(mode == "eval"))
        call = case.call(dropout) + f" in {mode} mode"
        out = obj.run(*case.args).value
        if mode == "eval":
            case.check(out, call)
        got = attribute(obj, "attention_weights", call, STORE_HINT)
        what = f"attention_weights after {call}"
        expected = case.weights()
        expect_shape(got, expected.shape, what, "attention_weights has shape (batch_size, no. of queries, no. of "
                                                "keys): " + STORE_HINT)
        expect_weights(got, expected, what, (lambda: diagnose(case.args, case.W, got, weights=True))
                       if mode == "eval" else "these are not the weights before dropout. " + STORE_HINT)


@pytest.mark.points(1)
def test_dropout_only_in_training(student, device):
    case = Case(device, B=2, n=3, m=6, sizes=(4, 5, 1), num_hiddens=6, valid_lens=[4, 6], seed=12)
    case.V = identity_values(2, 6, torch.float32, device)
    p = 0.5
    obj = case.layer(student, p, eval_mode=True)
    call = case.call(p)
    first = obj.run(*case.args, seed=1).value
    second = obj.run(*case.args, seed=2).value
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor) and first.shape == second.shape:
        expect_close(second, first, call + " after .eval(), called a second time (it should give the same output)",
                     DROPOUT_HINT)
    case.check(first, call + " after .eval()")
    obj.train()
    out = obj.run(*case.args, seed=3).value
    check_dropout_in_training(out, case.weights(), p, call, DROPOUT_HINT)


@pytest.mark.points(1.5)
def test_gradients_match_autograd(student, device):
    # hand-written: the gradients of W_q, W_k and w_v are checked too
    case = Case(device, B=2, n=3, m=4, sizes=(5, 3, 2), num_hiddens=4, valid_lens=[[1, 4, 2], [3, 3, 4]], seed=13,
                dtype=torch.float64)
    obj, _ = case.run(student, requires_grad=[0, 1, 2])
    G = seeded(2, 3, 2, dtype=torch.float64, device=device, seed=14)
    hint = ("build the output from the inputs and W_q, W_k, w_v with torch operations; no .detach(), .item() or "
            "torch.tensor(...).")
    got = expect_backward(obj, [G], case.call(), hint)
    leaves = {n: t.detach().clone().requires_grad_(True) for n, t in zip(("queries", "keys", "values"), case.args)}
    W = {n: w.clone().requires_grad_(True) for n, w in case.W.items()}
    out = weights64(leaves["queries"], leaves["keys"], case.valid_lens, W) @ leaves["values"]
    out.backward(G)
    for (name, leaf), g in zip(leaves.items(), got.args[:3]):
        if g is None:
            raise Mistake(f"no gradient of {case.call()} reached the {name}.", hint)
        expect_close(g, leaf.grad, f"the gradient of {case.call()} with respect to the {name}", hint)
    for name in WEIGHTS:
        g = got.params.get(f"{name}.weight")
        if g is None:
            raise Mistake(f"no gradient of {case.call()} reached {name}.weight.", hint)
        expect_close(g, W[name].grad, f"the gradient of {case.call()} with respect to {name}.weight", hint)


@pytest.mark.points(0.5)
def test_inputs_not_modified(student, device):
    case = Case(device, B=2, n=3, m=5, sizes=(4, 4, 3), num_hiddens=6, valid_lens=[2, 5], seed=15)
    case.recipe().unmodified(0.5, lambda d: case.args, names=["queries", "keys", "values", "valid_lens"],
                             hint="in-place operations (unsqueeze_, tanh_, +=) on the caller's tensors change them: "
                                  "queries = self.W_q(queries) makes a new tensor, work with that.")(student, device)


@pytest.mark.points(0.5)
def test_speed_against_reference(student, reference, device):
    case = Case(device, B=4, n=24, m=24, sizes=(16, 16, 8), num_hiddens=16, valid_lens=[24, 20, 9, 17], seed=16)
    case.recipe().speed(
        0.5, lambda d: case.args,
        hint="score all query-key pairs at once by broadcasting, queries.unsqueeze(2) + keys.unsqueeze(1), instead of "
             "looping over queries and keys in Python.")(student, reference, device)
