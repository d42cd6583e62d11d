"""What the ch11 attention graders share (DotProductAttention, AdditiveAttention, Seq2SeqAttentionDecoder):
the book's masked softmax as a float64 truth, valid lengths, attribute reads and LazyLinear sizing through the
Instance API, and the checks of dropout and of the stored attention weights."""
from __future__ import annotations

import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, seeded, show

MASK_VALUE = -1e6   # the book's fill value: a valid length of 0 leaves a uniform row, not NaN

# F.scaled_dot_product_attention and nn.MultiheadAttention are what the attention exercises build
BANNED = {"functions": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                        "multi_head_attention_forward", "_native_multi_head_attention"],
          "aten": ["scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                   "_scaled_dot_product_flash_attention", "_scaled_dot_product_flash_attention_for_cpu",
                   "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
                   "_scaled_dot_product_fused_attention_overrideable", "_fused_sdp_choice",
                   "_native_multi_head_attention", "_transformer_encoder_layer_fwd"]}


def lengths(values, device):
    return None if values is None else torch.tensor(values, dtype=torch.int64).to(device)


def lens_text(valid_lens) -> str:
    if valid_lens is None:
        return "None"
    if valid_lens.device.type == "meta":
        return f"a tensor of shape {tuple(valid_lens.shape)}"
    return str(valid_lens.tolist())


def keep_mask(batch, num_queries, num_keys, valid_lens, device, repeat_wrongly=False):
    """True where a key is kept, shape (batch, queries, keys); valid_lens of shape (batch,) or (batch, queries)."""
    if valid_lens is None:
        return torch.ones(batch, num_queries, num_keys, dtype=torch.bool, device=device)
    vl = valid_lens.to(device)
    if vl.dim() == 1:
        vl = vl.repeat(num_queries).reshape(batch, num_queries) if repeat_wrongly else vl[:, None].expand(
            batch, num_queries)
    return torch.arange(num_keys, device=device) < vl[..., None]


def masked_softmax64(scores, valid_lens, dim=-1):
    """The book's masked softmax (masked scores -> -1e6) in float64; `dim` other than -1 models a mistake."""
    s = scores.to(torch.float64)
    keep = keep_mask(*s.shape, valid_lens, s.device)
    return torch.softmax(s.masked_fill(~keep, MASK_VALUE), dim=dim)


def attribute(instance, name: str, call: str, hint: str):
    """`instance.<name>`, read where the object lives (a plain attribute or a property: not in state_dict)."""
    try:
        return instance.bound("__getattribute__").run(name).value
    except StudentError as e:
        if e.type == "AttributeError":
            raise Mistake(f"after {call}, the layer has no attribute {name}.", hint) from None
        as_mistake(e, f"reading {name} after {call}", hint)


def size_lazy(instance, path: str, width: int, device, call: str, hint: str):
    """Call the LazyLinear at `path` once on zeros of `width` features, so that its weight gets its shape (this
    does not depend on the student's forward)."""
    try:
        instance.bound(path).run(torch.zeros(1, width, device=device))
    except StudentError as e:
        as_mistake(e, f"sizing {path} of {call}", hint)


def set_weight(instance, name: str, value, call: str, hint: str):
    try:
        instance.set(name, value)
    except StudentError as e:
        as_mistake(e, f"setting {name} of {call}", hint)


def identity_values(batch, num_keys, dtype, device):
    """Values [I | 1]: the output is then (dropped-out weights, their row sum), so that what dropout did to the
    attention weights can be read from the output."""
    eye = torch.eye(num_keys, dtype=dtype, device=device).expand(batch, num_keys, num_keys)
    return torch.cat([eye, torch.ones(batch, num_keys, 1, dtype=dtype, device=device)], dim=-1)


def check_dropout_in_training(out, weights, p, call, where_hint):
    """`out` = the layer's output in training mode for values [I | 1] (identity_values), `weights` = the
    expected attention weights: each entry of out[..., :m] is 0 or weight / (1 - p), some are dropped, and
    out[..., m] is the sum of the others (dropout hits the weights, before they multiply the values)."""
    m = weights.shape[-1]
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (*weights.shape[:-1], m + 1):
        raise Mistake(f"{call} in training mode returned {show(out)}, expected shape "
                      f"{(*weights.shape[:-1], m + 1)}.", where_hint)
    got = out.detach().to(weights.device, torch.float64)
    w = weights.to(torch.float64)
    part = got[..., :m]
    scaled = w / (1 - p)
    ok = torch.isclose(part, torch.zeros_like(part), atol=1e-6) | torch.isclose(part, scaled, rtol=1e-4, atol=1e-6)
    if not bool(ok.all()):
        if torch.allclose(part, w, rtol=1e-4, atol=1e-6):
            raise Mistake(f"{call} in training mode (dropout = {p}) gave exactly the attention weights: nothing "
                          "was dropped out.", where_hint)
        idx = tuple(int(i) for i in torch.nonzero(~ok)[0].tolist())
        raise Mistake(f"{call} in training mode (dropout = {p}): with values [I | 1] the output is the "
                      f"dropped-out attention weights, each 0 or weight / (1 - p); at index {idx} the weight is "
                      f"{w[idx].item():.4g}, so 0 or {scaled[idx].item():.4g} was expected, got "
                      f"{part[idx].item():.4g}.", where_hint)
    dropped = int(((part.abs() < 1e-9) & (w > 1e-6)).sum())
    if dropped == 0:
        raise Mistake(f"{call} in training mode (dropout = {p}) dropped none of {w.numel()} attention weights.",
                      where_hint)
    if not torch.allclose(got[..., m], part.sum(-1), rtol=1e-4, atol=1e-6):
        raise Mistake(f"{call} in training mode (dropout = {p}): the output is not the dropped-out attention "
                      "weights times the values; dropout was applied somewhere else (to the output?).",
                      where_hint)


def expect_weights(got, expected, call, hint):
    expect_close(got, expected.to(got.dtype) if isinstance(got, torch.Tensor) and got.is_floating_point()
                 else expected, call, hint, check_dtype=False)


def qkv(batch, n, m, sizes, dtype, device, seed, scale=1.0):
    """Queries (batch, n, sizes[0]), keys (batch, m, sizes[1]), values (batch, m, sizes[2])."""
    return (seeded(batch, n, sizes[0], seed=seed, dtype=dtype, device=device, scale=scale),
            seeded(batch, m, sizes[1], seed=seed + 1, dtype=dtype, device=device, scale=scale),
            seeded(batch, m, sizes[2], seed=seed + 2, dtype=dtype, device=device))
