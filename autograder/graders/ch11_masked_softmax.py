"""Grader for ch11-masked_softmax: `masked_softmax(X, valid_lens)` (book 11.3.2).

The kit follows the book's semantics: masked scores become -1e6, so a valid length of 0 gives a uniform row
(not NaN). Departure from the book's listing: the caller's X must not be modified (the listing writes -1e6
into X through a reshape view); that is test_input_not_modified's alone, so the listing loses only its point.
"""
import re

import pytest
import torch

from autograder.checks import Mistake, expect_close, expect_fast, expect_finite, expect_shape, expect_unmodified
from autograder.impl import Implementation, StudentError

MASK_VALUE = -1e6
REPEAT_HINT = ("with valid_lens of shape (batch_size,), every query of example b uses valid_lens[b]: flattened to "
               "one length per row, that is torch.repeat_interleave(valid_lens, X.shape[1]) = [l0, l0, ..., l1, l1, "
               "...]; valid_lens.repeat(X.shape[1]) = [l0, l1, ..., l0, l1, ...] pairs the lengths with the wrong "
               "examples.")
INPLACE_HINT = ("X[~mask] = value and X.masked_fill_(...) write into the caller's X, also when applied to "
                "X.reshape(-1, X.shape[-1]): reshape returns a view of X (sharing its memory) whenever it can, "
                "which is how the book's listing changes X. Fill a new tensor instead: X.masked_fill(~mask, value) "
                "or torch.where(mask, X, value), or X = X.clone() first.")
DEVICE_HINT = ("make the mask on X's device: torch.arange(n, device=X.device). torch.arange(n) alone is on the CPU, "
               "so comparing it with valid_lens on a GPU fails.")
GRAD_HINT = ("the result must come from X through differentiable torch operations (masked_fill, where, softmax); "
             "the masked keys' gradient is 0.")
DETACHED_HINT = ("build the result from X with torch operations; do not detach it, use .data, or copy it into a new "
                 "tensor with torch.tensor(...).")
DEVICE_ERROR = re.compile(r"(same|expected) device", re.I)


def scores(*shape, dtype=torch.float32, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * 2).to(dtype).to(device)


def lengths(values, device):
    return torch.tensor(values, dtype=torch.int64).to(device)


def key_mask(X, valid_lens, repeat_wrongly=False, off_by_one=False):
    """True where a key is kept, shape of X; the variants model the usual mistakes."""
    B, Q, K = X.shape
    vl = valid_lens.to(X.device)
    if vl.dim() == 1:
        vl = vl.repeat(Q).reshape(B, Q) if repeat_wrongly else vl[:, None].expand(B, Q)
    pos = torch.arange(K, device=X.device)
    return pos <= vl[..., None] if off_by_one else pos < vl[..., None]


def expected_of(X, valid_lens):
    """The book's masked softmax, computed out of place."""
    if valid_lens is None:
        return torch.softmax(X, dim=-1)
    return torch.softmax(X.masked_fill(~key_mask(X, valid_lens), MASK_VALUE), dim=-1)


def diagnose(X, valid_lens, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return ("masked_softmax keeps X's shape (batch_size, no. of queries, no. of keys): reshape back with "
                "X.reshape(shape) before the softmax.")
    g = got.detach().to(X.device, torch.float64)
    x = X.to(torch.float64)
    if valid_lens is None:
        candidates = {"valid_lens=None means no mask: a softmax over the last axis (dim=-1).": None}
    else:
        mask = key_mask(x, valid_lens)
        candidates = {
            "the result is the plain softmax: the keys past each valid length were not masked.": torch.softmax(x, -1),
            "the masked scores were replaced by 0, which still has weight exp(0) = 1 > 0; replace them by a very "
            "large negative value (-1e6) so that their exponential is 0.": torch.softmax(x.masked_fill(~mask, 0), -1),
            "you zeroed the masked weights after the softmax without renormalising; mask the scores before the "
            "softmax (replace them by -1e6).": torch.softmax(x, -1) * mask,
            "the softmax went over the queries axis (dim=1); it goes over the keys, the last axis (dim=-1).":
                torch.softmax(x.masked_fill(~mask, MASK_VALUE), 1),
            "one key too many was kept: keep the positions 0 .. valid_len - 1 (arange(n) < valid_len, not <=).":
                torch.softmax(x.masked_fill(~key_mask(x, valid_lens, off_by_one=True), MASK_VALUE), -1),
        }
        if valid_lens.dim() == 1:
            wrong = key_mask(x, valid_lens, repeat_wrongly=True)
            candidates[REPEAT_HINT] = torch.softmax(x.masked_fill(~wrong, MASK_VALUE), -1)
    for hint, wrong in candidates.items():
        if wrong is not None and torch.allclose(g, wrong, rtol=1e-3, atol=1e-5, equal_nan=True):
            return hint
    if valid_lens is None:
        return next(iter(candidates))
    if torch.isnan(g).any():
        return ("a row came back NaN: with -inf as the fill value a fully masked row (valid length 0) is "
                "exp(-inf) / 0. Use -1e6 as the book does: the row is then uniform.")
    return ("set the scores of the keys at positions >= valid_len to -1e6 (a boolean mask from torch.arange and "
            "broadcasting), then take the softmax over the last axis.")


def call_name(X, valid_lens):
    if valid_lens is None:
        what = "None"
    elif valid_lens.numel() <= 12 and valid_lens.device.type != "meta":
        what = f"{valid_lens.tolist()}"
    else:
        what = f"a tensor of shape {tuple(valid_lens.shape)}"
    return f"masked_softmax(X, valid_lens) for X of shape {tuple(X.shape)} ({str(X.dtype)[6:]}), valid_lens = {what}"


def check_values(X, valid_lens, got, call=None):
    call = call or call_name(X, valid_lens)
    expected = expected_of(X, valid_lens)
    hint = diagnose(X, valid_lens, got)
    expect_shape(got, X.shape, call, hint)
    expect_finite(got, call, hint)
    expect_close(got, expected, call, hint)
    if valid_lens is not None:
        kept = key_mask(X, valid_lens)
        # a row with valid length 0 is uniform (every key masked): only rows that keep a key must zero the rest
        masked = ~kept & kept.any(-1, keepdim=True)
        leak = got.detach().to(X.device).abs().masked_fill(~masked, 0)
        if bool((leak > 1e-10).any()):
            idx = tuple(int(i) for i in torch.nonzero(leak > 1e-10)[0].tolist())
            raise Mistake(f"{call} gave the masked key at index {idx} the weight {leak[idx].item():.3g}; masked keys "
                          "must get weight 0.", hint)


def correct_call(student, X, valid_lens, **kw):
    out = student.run(X, valid_lens, **kw)
    check_values(X, valid_lens, out.value)
    return out


# The property checks (X untouched, any device, speed) count only for a correct result.


@pytest.mark.points(1)
def test_no_valid_lens_is_plain_softmax(student, device):
    X = scores(2, 3, 5, device=device, seed=1)
    correct_call(student, X, None)


@pytest.mark.points(2)
def test_one_length_per_example(student, device):
    # batch > 1, queries > 1 and different lengths per example: what tells repeat_interleave from repeat
    X = scores(3, 4, 6, device=device, seed=2)
    correct_call(student, X, lengths([2, 6, 3], device))
    one = scores(1, 1, 5, device=device, seed=3)
    correct_call(student, one, lengths([4], device))


@pytest.mark.points(2)
def test_one_length_per_query(student, device):
    X = scores(2, 3, 5, dtype=torch.float64, device=device, seed=4)
    correct_call(student, X, lengths([[1, 3, 5], [2, 4, 1]], device))
    X = scores(3, 2, 4, device=device, seed=5)
    correct_call(student, X, lengths([[4, 1], [2, 2], [3, 1]], device))


@pytest.mark.points(1)
def test_zero_and_full_lengths(student, device):
    # the book's -1e6 fill: a valid length of 0 masks every key and leaves a uniform row, not NaN
    X = scores(3, 2, 4, device=device, seed=6)
    correct_call(student, X, lengths([0, 4, 2], device))
    X = scores(2, 3, 4, dtype=torch.float64, device=device, seed=7)
    correct_call(student, X, lengths([[0, 4, 1], [4, 0, 4]], device))


def expect_gradient_of_X(student, X, vl, G, out, call):
    """Values of the call `out` first, then the gradient it sends back to X against autograd's."""
    check_values(X, vl, out.value)
    got = gradient(student, call, [G]).args[0]
    Xr = X.clone().requires_grad_(True)
    expected_of(Xr, vl).backward(G)
    if got is None:
        raise Mistake(f"{call}: no gradient reached X.", DETACHED_HINT)
    expect_close(got, Xr.grad, call, GRAD_HINT)


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device):
    X = scores(2, 3, 5, dtype=torch.float64, device=device, seed=8)
    vl = lengths([2, 4], device)
    G = scores(2, 3, 5, dtype=torch.float64, device=device, seed=9)
    call = "the gradient of masked_softmax(X, valid_lens) with respect to X"
    try:
        out = student.run(X, vl, requires_grad=[0])
    except StudentError as e:
        if "leaf" in e.message and "in-place" in e.message:
            return gradient_through_attention(student, device, e)
        raise
    expect_gradient_of_X(student, X, vl, G, out, call)


def gradient(impl, call, grads):
    try:
        return impl.backward(grads)
    except StudentError as e:
        raise Mistake(f"{call}: no gradient could be computed ({e.type}: {e.message}).", DETACHED_HINT) from None


def gradient_through_attention(student, device, error):
    """Autograd refuses in-place writes into a leaf, which the book's listing makes through its reshape view.

    The book only ever calls masked_softmax on freshly computed scores, so check the gradients that way:
    through the lesson's (locked) DotProductAttention, which calls the student's masked_softmax. The write
    into X itself costs test_input_not_modified's point, not this one. An in-kernel grading holds only the
    exercise's symbol, no DotProductAttention; there the arguments reach the code as they are made here, so a
    non-contiguous X (whose reshape is a copy, not a view) gives the same answer.
    """
    dpa = Implementation(student.transport, "DotProductAttention", student.device)
    if not dpa.defined():
        return gradient_for_non_contiguous_X(student, device, error)
    Q = scores(2, 3, 4, dtype=torch.float64, device=device, seed=10)
    K = scores(2, 5, 4, dtype=torch.float64, device=device, seed=11)
    V = scores(2, 5, 3, dtype=torch.float64, device=device, seed=12)
    vl = lengths([2, 4], device)
    G = scores(2, 3, 3, dtype=torch.float64, device=device, seed=13)
    call = "DotProductAttention(0.0)(Q, K, V, valid_lens), which calls your masked_softmax"
    obj = dpa.new(0.0)
    out = obj.run(Q, K, V, vl, requires_grad=[0, 1, 2])
    leaves = [t.clone().requires_grad_(True) for t in (Q, K, V)]
    Qr, Kr, Vr = leaves
    expected = expected_of(Qr @ Kr.transpose(1, 2) / 2.0, vl) @ Vr
    expect_close(out.value, expected.detach(), call, "check masked_softmax's values first (the tests above).")
    expected.backward(G)
    got = gradient(obj, f"the gradients of {call}", [G])
    for name, g, leaf in zip("QKV", got.args[:3], leaves):
        if g is None:
            raise Mistake(f"{call}: no gradient reached {name}.", DETACHED_HINT)
        expect_close(g, leaf.grad, f"the gradient of {call} with respect to {name}", GRAD_HINT)


def gradient_for_non_contiguous_X(student, device, error):
    X = scores(2, 5, 3, dtype=torch.float64, device=device, seed=8).transpose(1, 2)
    vl = lengths([2, 4], device)
    G = scores(2, 3, 5, dtype=torch.float64, device=device, seed=9)
    call = "the gradient of masked_softmax(X, valid_lens) with respect to X"
    try:
        out = student.run(X, vl, requires_grad=[0])
    except StudentError as e:
        if "leaf" in e.message and "in-place" in e.message:
            raise Mistake(f"masked_softmax(X, valid_lens) for an X that requires grad raised {error.type}: "
                          f"{error.message}", INPLACE_HINT) from None
        raise
    expect_gradient_of_X(student, X, vl, G, out, call)


@pytest.mark.points(1)
def test_input_not_modified(student, device):
    X = scores(2, 3, 4, device=device, seed=14)
    vl = lengths([1, 3], device)
    out = correct_call(student, X, vl, return_args=True)
    expect_unmodified(X, out.args[0], "X", call_name(X, vl), INPLACE_HINT)
    expect_unmodified(vl, out.args[1], "valid_lens", call_name(X, vl),
                      "valid_lens = valid_lens.reshape(-1) or torch.repeat_interleave(...) make new tensors; "
                      "do not write into the caller's valid_lens.")


@pytest.mark.points(0.5)
def test_works_on_the_inputs_device(student, device):
    X = scores(2, 3, 4, device=device, seed=15)
    vl = lengths([[1, 2, 4], [3, 1, 2]], device)
    try:
        correct_call(student, X, vl)
    except StudentError as e:
        if DEVICE_ERROR.search(e.message):
            raise Mistake(f"{call_name(X, vl)} on {device} raised {e.type}: {e.message}", DEVICE_HINT) from None
        raise
    # "meta" tensors have a device but no data: a mask made on a fixed device fails on them as it would on a
    # GPU, so this runs on a CPU-only machine too. Meta tensors cannot show every sound solution working
    # (data-dependent operations such as .item() need data), so only a device mismatch counts here.
    for vl in (torch.empty(3, dtype=torch.int64, device="meta"), torch.empty(3, 4, dtype=torch.int64, device="meta")):
        X = torch.empty(3, 4, 6, device="meta")
        call = f"masked_softmax(X, valid_lens) for X and valid_lens (of shape {tuple(vl.shape)}) on another device"
        try:
            got = student(X, vl)
        except StudentError as e:
            if DEVICE_ERROR.search(e.message):
                raise Mistake(f"{call} raised {e.type}: {e.message}", DEVICE_HINT) from None
            continue
        if isinstance(got, torch.Tensor) and getattr(got, "sent_from", "meta") != "meta":
            raise Mistake(f"{call} returned a tensor on {got.sent_from}, not on X's device.", DEVICE_HINT)


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    X = scores(32, 16, 64, device=device, seed=16)
    vl = torch.randint(1, 65, (32, 16), generator=torch.Generator().manual_seed(17)).to(device)
    correct_call(student, X, vl)
    vl1 = vl[:, 0].contiguous()
    correct_call(student, X, vl1)
    expect_fast(student, reference, X, vl1, threshold=10, call=call_name(X, vl1),
                hint="build the whole mask at once (torch.arange(n)[None, :] < valid_lens[:, None]) instead of "
                     "looping over rows in Python.")
