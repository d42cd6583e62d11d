"""Grader for ch11-masked_softmax: `masked_softmax(X, valid_lens)` (book 11.3.2).

The kit follows the book's semantics: masked scores become -1e6, so a valid length of 0 gives a uniform row
(not NaN). Departure from the book's listing: the caller's X must not be modified (the listing writes -1e6
into X through a reshape view); that is test_input_not_modified's alone, so the listing loses only its point.
"""
import re

import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_finite, expect_on_input_device,
                               expect_shape, first_matching_hint, seeded)
from autograder.recipe import Recipe

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
             "do not detach it, use .data, or copy it into a new tensor with torch.tensor(...). The masked keys' "
             "gradient is 0.")
DEVICE_ERROR = re.compile(r"(same|expected) device", re.I)


def scores(*shape, dtype=torch.float32, device="cpu", seed=0):
    """Attention scores, N(0, 2^2): far enough apart that every mask and axis mistake shows."""
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=2.0)


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
    if valid_lens is None:
        return "valid_lens=None means no mask: a softmax over the last axis (dim=-1)."
    x = X.to(torch.float64)
    mask = key_mask(x, valid_lens)
    candidates = {
        "the result is the plain softmax: the keys past each valid length were not masked.":
            lambda: torch.softmax(x, -1),
        "the masked scores were replaced by 0, which still has weight exp(0) = 1 > 0; replace them by a very "
        "large negative value (-1e6) so that their exponential is 0.":
            lambda: torch.softmax(x.masked_fill(~mask, 0), -1),
        "you zeroed the masked weights after the softmax without renormalising; mask the scores before the "
        "softmax (replace them by -1e6).": lambda: torch.softmax(x, -1) * mask,
        "the softmax went over the queries axis (dim=1); it goes over the keys, the last axis (dim=-1).":
            lambda: torch.softmax(x.masked_fill(~mask, MASK_VALUE), 1),
        "one key too many was kept: keep the positions 0 .. valid_len - 1 (arange(n) < valid_len, not <=).":
            lambda: torch.softmax(x.masked_fill(~key_mask(x, valid_lens, off_by_one=True), MASK_VALUE), -1),
    }
    if valid_lens.dim() == 1:
        candidates[REPEAT_HINT] = \
            lambda: torch.softmax(x.masked_fill(~key_mask(x, valid_lens, repeat_wrongly=True), MASK_VALUE), -1)
    if torch.isnan(got.detach()).any():
        default = ("a row came back NaN: with -inf as the fill value a fully masked row (valid length 0) is "
                   "exp(-inf) / 0. Use -1e6 as the book does: the row is then uniform.")
    else:
        default = ("set the scores of the keys at positions >= valid_len to -1e6 (a boolean mask from torch.arange "
                   "and broadcasting), then take the softmax over the last axis.")
    return first_matching_hint(got, candidates, default=default)


def call_name(X, valid_lens):
    if valid_lens is None:
        what = "None"
    elif valid_lens.numel() <= 12 and valid_lens.device.type != "meta":
        what = f"{valid_lens.tolist()}"
    else:
        what = f"a tensor of shape {tuple(valid_lens.shape)}"
    return f"masked_softmax(X, valid_lens) for X of shape {tuple(X.shape)} ({str(X.dtype)[6:]}), valid_lens = {what}"


def check_values(args, got, call):
    X, valid_lens = args
    hint = lambda: diagnose(X, valid_lens, got)  # noqa: E731 - computed only if a check fails
    expect_shape(got, X.shape, call, hint)
    expect_finite(got, call, hint)
    expect_close(got, expected_of(X, valid_lens), call, hint)
    if valid_lens is not None:
        kept = key_mask(X, valid_lens)
        # a row with valid length 0 is uniform (every key masked): only rows that keep a key must zero the rest
        masked = ~kept & kept.any(-1, keepdim=True)
        leak = got.detach().to(X.device).abs().masked_fill(~masked, 0)
        if bool((leak > 1e-10).any()):
            idx = tuple(int(i) for i in torch.nonzero(leak > 1e-10)[0].tolist())
            raise Mistake(f"{call} gave the masked key at index {idx} the weight {leak[idx].item():.3g}; masked keys "
                          "must get weight 0.", hint)


recipe = Recipe(call_name, check_values)

# The property checks (gradient, X untouched, any device, speed) count only for a correct result.

test_no_valid_lens_is_plain_softmax = recipe.values(1, lambda d: (scores(2, 3, 5, device=d, seed=1), None))
# batch > 1, queries > 1 and different lengths per example: what tells repeat_interleave from repeat
test_one_length_per_example = recipe.values(
    2, lambda d: (scores(3, 4, 6, device=d, seed=2), lengths([2, 6, 3], d)),
    lambda d: (scores(1, 1, 5, device=d, seed=3), lengths([4], d)))
test_one_length_per_query = recipe.values(
    2, lambda d: (scores(2, 3, 5, dtype=torch.float64, device=d, seed=4), lengths([[1, 3, 5], [2, 4, 1]], d)),
    lambda d: (scores(3, 2, 4, device=d, seed=5), lengths([[4, 1], [2, 2], [3, 1]], d)))
# the book's -1e6 fill: a valid length of 0 masks every key and leaves a uniform row, not NaN
test_zero_and_full_lengths = recipe.values(
    1, lambda d: (scores(3, 2, 4, device=d, seed=6), lengths([0, 4, 2], d)),
    lambda d: (scores(2, 3, 4, dtype=torch.float64, device=d, seed=7), lengths([[0, 4, 1], [4, 0, 4]], d)))


def attention(Q, K, V, valid_lens):
    """The lesson's DotProductAttention (no dropout) with the book's masked softmax; d = 4, so sqrt(d) = 2."""
    return expected_of(Q @ K.transpose(1, 2) / 2.0, valid_lens) @ V


def writes_into_leaf(e: StudentError) -> bool:
    return "leaf" in e.message and "in-place" in e.message


gradient_of_X = recipe.gradient(
    1.5, lambda d: (scores(2, 3, 5, dtype=torch.float64, device=d, seed=8), lengths([2, 4], d)),
    truth=expected_of, hint=GRAD_HINT, names=["X"])
# in-kernel, where X reaches the code as made here: the reshape of a non-contiguous X is a copy, not a view
gradient_of_non_contiguous_X = recipe.gradient(
    1.5, lambda d: (scores(2, 5, 3, dtype=torch.float64, device=d, seed=8).transpose(1, 2), lengths([2, 4], d)),
    truth=expected_of, hint=GRAD_HINT, names=["X"])


def attention_inputs(device):
    """Queries, keys, values (d = 4) and valid_lens for DotProductAttention."""
    return (scores(2, 3, 4, dtype=torch.float64, device=device, seed=10),
            scores(2, 5, 4, dtype=torch.float64, device=device, seed=11),
            scores(2, 5, 3, dtype=torch.float64, device=device, seed=12), lengths([2, 4], device))


def gradient_through_attention(dpa):
    """The standard gradient test of DotProductAttention(0.0)(Q, K, V, valid_lens), which calls the student's
    masked_softmax."""
    through = Recipe(lambda *args: "DotProductAttention(0.0)(Q, K, V, valid_lens), which calls your masked_softmax",
                     lambda args, got, call: expect_close(got, attention(*args), call,
                                                          "check masked_softmax's values first (the tests above)."),
                     target=lambda impl, device: dpa.new(0.0))
    return through.gradient(1.5, attention_inputs, truth=attention, wrt=(0, 1, 2), hint=GRAD_HINT, names="QKV")


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device, sibling):
    """Autograd refuses in-place writes into a leaf, which the book's listing makes through its reshape view.

    The book only ever calls masked_softmax on freshly computed scores, so check the gradients that way:
    through the lesson's (locked) DotProductAttention, which calls the student's masked_softmax. The write
    into X itself costs test_input_not_modified's point, not this one. An in-kernel grading holds only the
    exercise's symbol, no DotProductAttention; there the arguments reach the code as they are made here, so a
    non-contiguous X (whose reshape is a copy, not a view) gives the same answer.
    """
    try:
        gradient_of_X(student, device)
        return
    except StudentError as e:
        if not writes_into_leaf(e):
            raise
        error = e
    dpa = sibling("DotProductAttention")
    if dpa.defined():
        gradient_through_attention(dpa)(student, device)
        return
    try:
        gradient_of_non_contiguous_X(student, device)
    except StudentError as e:
        if writes_into_leaf(e):
            raise Mistake(f"masked_softmax(X, valid_lens) for an X that requires grad raised {error.type}: "
                          f"{error.message}", INPLACE_HINT) from None
        raise


test_input_not_modified = recipe.unmodified(
    1, lambda d: (scores(2, 3, 4, device=d, seed=14), lengths([1, 3], d)), names=["X", "valid_lens"],
    hint={"X": INPLACE_HINT,
          "valid_lens": "valid_lens = valid_lens.reshape(-1) or torch.repeat_interleave(...) make new tensors; do not "
                        "write into the caller's valid_lens."})


@pytest.mark.points(0.5)
def test_works_on_the_inputs_device(student, device):
    # Hand-written rather than recipe.on_device: on "meta" tensors only a device mismatch counts (see below).
    args = (scores(2, 3, 4, device=device, seed=15), lengths([[1, 2, 4], [3, 1, 2]], device))
    try:
        recipe.checked(student, args)
    except StudentError as e:
        if DEVICE_ERROR.search(e.message):
            as_mistake(e, f"{call_name(*args)} on {device}", DEVICE_HINT)
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
                as_mistake(e, call, DEVICE_HINT)
            continue
        expect_on_input_device(got, call, DEVICE_HINT)


def speed_inputs(device, per_query=False):
    X = scores(32, 16, 64, device=device, seed=16)
    vl = torch.randint(1, 65, (32, 16), generator=torch.Generator().manual_seed(17)).to(device)
    return (X, vl) if per_query else (X, vl[:, 0].contiguous())


timed = recipe.speed(1, speed_inputs, hint="build the whole mask at once (torch.arange(n)[None, :] < "
                                           "valid_lens[:, None]) instead of looping over rows in Python.")


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    recipe.checked(student, speed_inputs(device, per_query=True))   # timed with one length per example
    timed(student, reference, device)
