"""Grader for ch11-DotProductAttention: `DotProductAttention(dropout).forward(queries, keys, values, valid_lens)`
(book 11.3.3), with the lesson's given masked_softmax.

The expected outputs come from torch's F.scaled_dot_product_attention in float64, with the keys past each valid
length masked (a valid length of 0 gives uniform weights, the mean value, as the book's -1e6 fill does);
the expected attention weights from a float64 masked softmax of Q K^T / sqrt(d). Dropout is checked from the
output for values [I | 1], where the output is the dropped-out weights themselves (no random numbers need to
match), and the stored attention_weights are read from the object.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import Mistake, StudentError, expect_close, expect_shape, first_matching_hint
from autograder.graders.common.attention import (BANNED, attribute, check_dropout_in_training,
                                                 expect_weights, identity_values, keep_mask, lengths,
                                                 lens_text, masked_softmax64, qkv)
from autograder.recipe import Recipe

GENERIC_HINT = ("scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d) with d = queries.shape[-1]; "
                "self.attention_weights = masked_softmax(scores, valid_lens); return "
                "torch.bmm(self.dropout(self.attention_weights), values).")
STORE_HINT = ("keep the weights that masked_softmax returns, before dropout: self.attention_weights = "
              "masked_softmax(scores, valid_lens), then multiply self.dropout(self.attention_weights) with the values.")
DROPOUT_HINT = ("apply self.dropout (the nn.Dropout made in __init__) to the attention weights, and only there: "
                "torch.bmm(self.dropout(self.attention_weights), values). nn.Dropout follows the module's mode "
                "(off after .eval()); F.dropout(x, p) without training=self.training drops in eval mode too.")
SHAPE_HINT = ("the scores have one row per query and one column per key: torch.bmm(queries, keys.transpose(1, 2)) "
              "is (batch_size, no. of queries, no. of keys); the output torch.bmm(weights, values) is "
              "(batch_size, no. of queries, value dimension).")


def describe(Q, K, V, valid_lens, dropout=0.0):
    return (f"DotProductAttention({dropout})(queries, keys, values, valid_lens) for queries of shape "
            f"{tuple(Q.shape)}, keys {tuple(K.shape)}, values {tuple(V.shape)}, valid_lens = {lens_text(valid_lens)}")


def scores_of(Q, K, scale=None, reshape_keys=False):
    B, m, d = K.shape
    Kt = K.reshape(B, d, m) if reshape_keys else K.transpose(1, 2)
    return Q @ Kt / (math.sqrt(d) if scale is None else scale)


def expected_weights(Q, K, valid_lens):
    Q, K = Q.to(torch.float64), K.to(torch.float64)
    return masked_softmax64(scores_of(Q, K), valid_lens)


def expected_output(Q, K, V, valid_lens):
    """torch's scaled_dot_product_attention with the keys past each valid length masked. A query with no valid key
    at all (valid length 0) gets, as in the book's masked_softmax, the same weight on every key: the mean value."""
    Q, K, V = (t.to(torch.float64) for t in (Q, K, V))
    keep = keep_mask(Q.shape[0], Q.shape[1], K.shape[1], valid_lens, Q.device)
    some = keep.any(-1, keepdim=True)
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=keep | ~some)
    return torch.where(some, out, V.mean(1, keepdim=True))


def wrong_weights(Q, K, valid_lens):
    """hint -> the attention weights that mistake gives (float64)."""
    Q, K = Q.to(torch.float64), K.to(torch.float64)
    d = Q.shape[-1]
    return {
        "the scores were not scaled: divide Q K^T by sqrt(d), d = queries.shape[-1] (book 11.3.3), so that their "
        "variance stays near 1 whatever d is.": lambda: masked_softmax64(scores_of(Q, K, scale=1.0), valid_lens),
        f"the scores were divided by d = {d}; divide by its square root, math.sqrt(d) = {math.sqrt(d):g}.":
            lambda: masked_softmax64(scores_of(Q, K, scale=d), valid_lens),
        "keys.reshape(batch_size, d, no. of keys) is not a transpose: it keeps the numbers in memory order and "
        "regroups them. Swap the last two axes with keys.transpose(1, 2).":
            lambda: masked_softmax64(scores_of(Q, K, reshape_keys=True), valid_lens),
        "the keys past each valid length were not masked: pass valid_lens to masked_softmax.":
            None if valid_lens is None else (lambda: masked_softmax64(scores_of(Q, K), None)),
        "the softmax went over the queries (dim=1); each query's weights over the keys (the last axis) must "
        "sum to 1: masked_softmax(scores, valid_lens) does that.":
            lambda: masked_softmax64(scores_of(Q, K), valid_lens, dim=1),
    }


def diagnose(args, got, weights=False) -> str:
    Q, K, V, valid_lens = args
    B, n, m, v = Q.shape[0], Q.shape[1], K.shape[1], V.shape[-1]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != ((B, n, m) if weights else (B, n, v)):
        return SHAPE_HINT
    V64 = V.to(torch.float64)
    candidates = {hint: (None if f is None else (lambda f=f: f() if weights else f() @ V64))
                  for hint, f in wrong_weights(Q, K, valid_lens).items()}
    if not weights:
        candidates["the output is the attention weights times the values: torch.bmm(weights, values)."] = \
            lambda: expected_weights(Q, K, valid_lens)
    return first_matching_hint(got, candidates, default=GENERIC_HINT)


def check_output(args, got, call):
    Q = args[0]
    hint = lambda: diagnose(args, got)  # noqa: E731 - only if a check fails
    expected = expected_output(*args)
    expect_shape(got, expected.shape, call, hint)
    if got.dtype != Q.dtype:
        raise Mistake(f"{call} returned dtype {got.dtype}, expected {Q.dtype} (the inputs').",
                      "keep the inputs' dtype: torch.bmm and division by math.sqrt(d) (a Python float) keep it.")
    expect_close(got, expected.to(Q.dtype), call, hint)


def layer(impl, device, dropout=0.0, eval_mode=True):
    obj = impl.new(dropout, seed=0)
    return obj.eval() if eval_mode else obj


def error_hint(e: StudentError):
    if "size" in e.message or "shape" in e.message or "dimension" in e.message:
        return SHAPE_HINT
    return None


recipe = Recipe(describe, check_output, target=layer, error_hint=error_hint)


def case(B, n, m, d, v, valid_lens, seed, dtype=torch.float32):
    return lambda device: (*qkv(B, n, m, (d, d, v), dtype, device, seed, scale=1.5), lengths(valid_lens, device))


# The checks of properties (weights, dropout, gradients, inputs, speed) count only for a correct output.

test_matches_torch_attention_without_mask = recipe.values(
    1.5, case(2, 3, 5, 4, 6, None, seed=1), case(1, 1, 10, 2, 4, None, seed=2))
# the book's example (2 examples, 1 query, 10 keys, lengths 2 and 6), and lengths that differ per example
test_one_valid_length_per_example = recipe.values(
    2, case(2, 1, 10, 2, 4, [2, 6], seed=3), case(3, 4, 6, 8, 3, [2, 6, 3], seed=4))
# a valid length of 0 (the book's masked_softmax gives a uniform row), in float64
test_one_valid_length_per_query = recipe.values(
    1.5, case(2, 3, 5, 4, 2, [[1, 3, 5], [4, 2, 1]], seed=5),
    case(2, 2, 4, 6, 3, [[0, 4], [2, 3]], seed=6, dtype=torch.float64))
test_gradient_matches_autograd = recipe.gradient(
    1.5, case(2, 3, 5, 4, 3, [[1, 3, 5], [4, 2, 1]], seed=7, dtype=torch.float64),
    truth=lambda Q, K, V, vl: expected_output(Q, K, V, vl), wrt=(0, 1, 2), names=["queries", "keys", "values"],
    hint="build the output from the queries, keys and values with torch operations (bmm, transpose, division); "
         "no .detach(), .item() or torch.tensor(...).")
test_speed_against_reference = recipe.speed(
    1, case(1024, 2, 2, 4, 4, None, seed=8),   # many small examples: a loop over them pays Python's cost each time
    hint="multiply all examples' matrices at once with torch.bmm (batch matrix multiplication) instead of looping "
         "over the examples or queries in Python.")


@pytest.mark.points(1)
def test_attention_weights_stored(student, device):
    for args, dropout, mode in ((case(3, 4, 6, 8, 3, [2, 6, 3], seed=9)(device), 0.0, "eval"),
                                (case(2, 3, 5, 4, 2, [[1, 3, 5], [4, 2, 1]], seed=10)(device), 0.5, "train")):
        obj = layer(student, device, dropout, eval_mode=(mode == "eval"))
        call = describe(*args, dropout) + f" in {mode} mode"
        out = recipe.call(obj, args).value
        if mode == "eval":
            check_output(args, out, call)
        got = attribute(obj, "attention_weights", call, STORE_HINT)
        expected = expected_weights(*args[:2], args[3])
        what = f"attention_weights after {call}"
        expect_shape(got, expected.shape, what, "attention_weights has shape (batch_size, no. of queries, no. of "
                                                "keys): " + STORE_HINT)
        expect_weights(got, expected, what, lambda: diagnose(args, got, weights=True) if mode == "eval" else
                       "these are not the weights before dropout. " + STORE_HINT)


@pytest.mark.points(1)
def test_dropout_only_in_training(student, device):
    Q, K, _, vl = case(2, 3, 6, 4, 1, [4, 6], seed=11)(device)
    V = identity_values(2, 6, torch.float32, device)
    args, p = (Q, K, V, vl), 0.5
    obj = layer(student, device, p, eval_mode=True)
    call = describe(*args, p)
    first = obj.run(*args, seed=1).value
    second = obj.run(*args, seed=2).value
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor) and first.shape == second.shape:
        expect_close(second, first, call + " after .eval(), called a second time (it should give the same output)",
                     DROPOUT_HINT)
    check_output(args, first, call + " after .eval()")
    obj.train()
    out = obj.run(*args, seed=3).value
    check_dropout_in_training(out, expected_weights(Q, K, vl), p, call, DROPOUT_HINT)


@pytest.mark.points(0.5)
def test_inputs_not_modified_and_written_from_scratch(student, device):
    inputs = case(2, 3, 5, 4, 3, [2, 5], seed=12)
    recipe.unmodified(0.25, inputs, names=["queries", "keys", "values", "valid_lens"],
                      hint="keys.transpose_(1, 2) and other in-place operations change the caller's tensors: use "
                           "keys.transpose(1, 2), which makes a view without touching them.")(student, device)
    recipe.from_scratch(0.25, inputs, BANNED,
                        hint="compute the scores with torch.bmm and masked_softmax; F.scaled_dot_product_attention "
                             "and nn.MultiheadAttention are what this exercise builds.")(student, device)

