"""What the ch11 Transformer graders share (PositionWiseFFN, AddNorm, TransformerEncoderBlock; book 11.7).

The student's layers hold `nn.LazyLinear`s, which learn their input size at their first call. A grader sizes
each one by calling it once on zeros of the right width (`materialize`, which does not depend on the student's
forward), then sets every weight through the Instance API (`put`), so that the student's module and the truth
compute with the same numbers. The truths are torch's own ops in float64 (F.linear, F.layer_norm,
nn.TransformerEncoderLayer).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.checks import FATAL, Mistake, StudentError, as_mistake, seeded

EPS = 1e-5   # nn.LayerNorm's default, as in the book


def new(student, call: str, *args, hint: str = "", **kwargs):
    """student.new(*args, seed=0, **kwargs), its errors as Mistakes naming `call` (the stub's
    NotImplementedError stays what it is)."""
    try:
        return student.new(*args, seed=0, **kwargs)
    except StudentError as e:
        as_mistake(e, call, hint if e.type == "TypeError" else "")


def materialize(obj, path: str, in_features: int, device, hint: str):
    """Call the layer at attribute `path` (e.g. "ffn.dense1") once on zeros of width `in_features`, which fixes
    an nn.LazyLinear's input size. A missing attribute is a Mistake with `hint` (the book's names)."""
    try:
        obj.bound(path).run(torch.zeros(1, in_features, device=device))
    except StudentError as e:
        if e.type in FATAL or e.type == "NotImplementedError":
            raise
        raise Mistake(f"calling the layer self.{path} of your module raised {e.type}: {e.message}", hint) from None


def put(obj, name: str, value, hint: str):
    """Set the parameter `name` (dotted) of the student's module to `value`."""
    try:
        obj.set(name, value)
    except StudentError as e:
        if e.type in FATAL or e.type == "NotImplementedError":
            raise
        raise Mistake(f"setting {name} of your module failed: {e.type}: {e.message}", hint) from None


def weight(out_f, in_f, seed, dtype, device):
    """A weight of nn.Linear's scale (entries of size 1 / sqrt(in_f))."""
    return seeded(out_f, in_f, seed=seed, dtype=dtype, device=device, scale=1 / math.sqrt(in_f))


def bias(n, seed, dtype, device, scale=0.5):
    return seeded(n, seed=seed, dtype=dtype, device=device, scale=scale)


def ln_params(n, seed, dtype, device):
    """LayerNorm's gamma (around 1, never near 0) and beta, away from the defaults (ones, zeros) so that
    a layer that ignores them shows."""
    gamma = 1 + 0.5 * seeded(n, seed=seed, dtype=dtype, device=device, uniform=True)
    return gamma, seeded(n, seed=seed + 1, dtype=dtype, device=device, scale=0.5)


def layer_norm(Z, gamma, beta):
    """Layer normalization over the last axis (biased variance, eps 1e-5), torch's own op."""
    return F.layer_norm(Z, (Z.shape[-1],), gamma, beta, EPS)


def ffn(X, W1, b1, W2, b2):
    """The positionwise FFN: dense - ReLU - dense on the last axis."""
    return F.linear(torch.relu(F.linear(X, W1, b1)), W2, b2)


def f64(t):
    return t.to(torch.float64) if isinstance(t, torch.Tensor) and t.is_floating_point() else t


# the library's attention and encoder layer, which the student's block must not call (names as torch reports them)
BANNED = {"functions": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                        "multi_head_attention_forward", "_native_multi_head_attention"],
          "aten": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                   "_scaled_dot_product_flash_attention", "_scaled_dot_product_flash_attention_for_cpu",
                   "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
                   "_scaled_dot_product_fused_attention_overrideable", "_fused_sdp_choice",
                   "_native_multi_head_attention", "_transformer_encoder_layer_fwd"]}
