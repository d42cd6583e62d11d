"""Grader for ch10-seq2seq_loss: the masked cross-entropy of sequence-to-sequence training (book 10.7.5).

`seq2seq_loss(Y_hat, Y, tgt_pad)` is the book's `Seq2Seq.loss` as a function: the cross-entropy of every token
(Y_hat: scores of shape (batch_size, num_steps, vocab_size), Y: labels of shape (batch_size, num_steps)), with the
tokens whose label is `tgt_pad` excluded, averaged over the tokens that are not padding (over the whole batch, not
per sequence). The truth is `F.cross_entropy(..., reduction='none')` masked and averaged in float64.

Where the kit departs from the book's listing: when every label is padding the book divides 0 by 0 and returns NaN,
which would poison the parameters at the next step; the lesson asks for 0 then (no token, no loss, zero gradient),
e.g. by dividing by mask.sum().clamp(min=1). The book's listing loses test_all_padding_gives_zero (1.5 points) and
nothing else; tests/graders/test_ch10_seq2seq_loss.py shows it. F.cross_entropy is allowed (the exercise is the
masking), and so is its ignore_index, which gives the same mean but NaN on an all-padding batch.
"""
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import Mistake, StudentError, expect_backward, expect_close, expect_finite, first_matching_hint, seeded
from autograder.recipe import DEVICE_HINT, Recipe

GENERIC_HINT = ("l = F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1), reduction='none'); "
                "mask = (Y.reshape(-1) != tgt_pad).type(l.dtype); return (l * mask).sum() / mask.sum(), with the "
                "division safe when mask.sum() is 0.")
NAN_HINT = ("when every label is padding, mask.sum() is 0 and (l * mask).sum() / mask.sum() is 0 / 0 = NaN: divide by "
            "mask.sum().clamp(min=1) (or return 0 for such a batch), so that the loss is 0 and its gradient too.")


def per_token(Y_hat, Y):
    return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]).double(), Y.reshape(-1).long(), reduction="none")


def truth(Y_hat, Y, tgt_pad):
    l = per_token(Y_hat, Y)
    mask = (Y.reshape(-1) != tgt_pad).double()
    return (l * mask).sum() / mask.sum().clamp(min=1)


def diagnose(Y_hat, Y, tgt_pad, got) -> str:
    def masked(mask, denominator):
        return lambda: (per_token(Y_hat, Y) * mask.reshape(-1).double()).sum() / denominator

    keep = Y != tgt_pad
    B, T = Y.shape
    return first_matching_hint(got.reshape(()) if got.numel() == 1 else got, {
        "": lambda: truth(Y_hat, Y, tgt_pad),
        "exclude the padding tokens: multiply each token's loss by a mask of Y != tgt_pad before averaging (a "
        "plain mean counts the padding too).": lambda: per_token(Y_hat, Y).mean(),
        "average over the tokens that are not padding, all sequences together: sum(l * mask) / sum(mask); a mean "
        "per sequence first weighs the tokens of short sequences more.":
            lambda: ((per_token(Y_hat, Y).reshape(B, T) * keep).sum(1) / keep.sum(1).clamp(min=1)).mean(),
        "divide the masked sum by the number of tokens that are not padding, sum(mask).":
            [masked(keep, 1.0), masked(keep, float(B)), masked(keep, float(B * T))],
        "the mask keeps the tokens that are NOT padding: Y != tgt_pad.": masked(~keep, max(int((~keep).sum()), 1)),
        "compare the labels with tgt_pad, the index of '<pad>' given as an argument, not with 0.":
            masked(Y != 0, max(int((Y != 0).sum()), 1)),
        "the mask comes from the labels Y, not from the predictions.":
            lambda: masked(Y_hat.argmax(-1) != tgt_pad, max(int((Y_hat.argmax(-1) != tgt_pad).sum()), 1))(),
    }, default=GENERIC_HINT)


def about(Y_hat, Y, tgt_pad):
    dtype = "" if Y_hat.dtype == torch.float32 else f"{str(Y_hat.dtype)[6:]} "
    pads = int((Y == tgt_pad).sum()) if Y.device.type != "meta" else "some"
    return (f"seq2seq_loss(Y_hat, Y, tgt_pad={tgt_pad}) for {dtype}Y_hat of shape {tuple(Y_hat.shape)} and labels Y "
            f"of shape {tuple(Y.shape)} with {pads} padding tokens")


def check_values(args, got, call):
    Y_hat, Y, tgt_pad = args
    want = truth(Y_hat, Y, tgt_pad).to(Y_hat.dtype)
    if not isinstance(got, torch.Tensor):
        raise Mistake(f"{call} returned {type(got).__name__} {str(got)[:40]}, expected a tensor (a 0-dim one).",
                      "keep the loss a tensor (no .item() or float()): it is what backward() is called on.")
    if got.numel() == 1 and got.dim() > 0:
        got = got.reshape(())
    if bool((Y != tgt_pad).any()) or torch.isfinite(got).all():
        expect_finite(got, call, NAN_HINT)
    expect_close(got, want.to(got.device), call, lambda: diagnose(Y_hat, Y, tgt_pad, got))


def error_hint(e):
    if "size" in e.message or "shape" in e.message or "Expected" in e.message:
        return ("F.cross_entropy wants the classes on axis 1: reshape Y_hat to (-1, vocab_size) and Y to (-1,), "
                "as the book's Classifier.loss does.")
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)


def batch(B, T, V, lengths, tgt_pad, seed, dtype=torch.float32, device="cpu"):
    """Scores, and labels whose sequence b has lengths[b] real tokens (never tgt_pad) then padding."""
    Y_hat = seeded(B, T, V, seed=seed, dtype=dtype, device=device, scale=2.0)
    g = torch.Generator().manual_seed(7000 + seed)
    Y = torch.randint(0, V - 1, (B, T), generator=g)
    Y = Y + (Y >= tgt_pad).long()                    # real tokens skip the padding index
    Y[torch.arange(T)[None, :] >= torch.tensor(lengths)[:, None]] = tgt_pad
    return Y_hat, Y.to(device), tgt_pad


def args_of(*spec, **kw):
    return lambda d: batch(*spec, device=d, **kw)


test_matches_masked_cross_entropy = recipe.values(
    2.5, args_of(4, 6, 7, [6, 3, 1, 4], 1, 1), args_of(3, 5, 9, [2, 5, 3], 1, 2))
test_float64_batch_of_one_and_no_padding = recipe.values(
    1.5, args_of(1, 6, 5, [4], 1, 3, dtype=torch.float64), args_of(3, 4, 6, [4, 4, 4], 2, 4),
    args_of(2, 7, 8, [7, 2], 0, 5, dtype=torch.float64))
test_padding_index_is_tgt_pad = recipe.values(
    1, args_of(4, 5, 8, [5, 2, 3, 1], 5, 6), args_of(2, 6, 6, [3, 6], 0, 7))
GRADIENT_HINT = ("build the loss from Y_hat with differentiable torch operations (no .item(), float() or "
                 "torch.tensor(...) of the loss), and mask by multiplying with the mask (or selecting), so that "
                 "padding tokens get gradient 0.")


@pytest.mark.points(2)
def test_gradient_matches_autograd(student, device):
    """Written out rather than recipe.gradient, so that the output gradient (1.5) takes the shape the student's
    loss has: a 0-dim loss, or one of shape (1,), which the value tests accept too."""
    Y_hat, Y, tgt_pad = batch(3, 5, 6, [5, 2, 3], 1, 8, dtype=torch.float64, device=device)
    call = about(Y_hat, Y, tgt_pad)
    out = recipe.checked(student, (Y_hat, Y, tgt_pad), requires_grad=[0])
    leaf = Y_hat.detach().clone().requires_grad_(True)
    (truth(leaf, Y, tgt_pad) * 1.5).backward()
    G = torch.full(tuple(out.value.shape), 1.5, dtype=torch.float64, device=device)   # () or a (1,) loss
    got = expect_backward(student, [G], call, GRADIENT_HINT)
    if got.args[0] is None:
        raise Mistake(f"no gradient reached Y_hat in {call}.", GRADIENT_HINT)
    expect_close(got.args[0], leaf.grad, f"the gradient of {call} with respect to Y_hat", GRADIENT_HINT)

test_inputs_not_modified = recipe.unmodified(
    0.5, args_of(3, 4, 5, [4, 2, 1], 1, 9), names=["Y_hat", "Y", None],
    hint="Y_hat -= ..., Y[...] = ... or masked_fill_ change the caller's tensors; compute out of place.")
DEVICE_WORDS = ("same device", "expected device", "device cpu", "device type cpu", "on cpu")


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    """The result comes back from the grading device; on PyTorch's "meta" device (shapes, no values) a mask or a
    count made on the CPU meets the inputs and fails as it would on a GPU. An operation that the meta device cannot
    run at all (selecting with a boolean mask, .item()) proves nothing either way and is not held against you
    (written out rather than recipe.on_device, which would count it as a device error)."""
    real = batch(2, 3, 4, [3, 1], 1, 10, device=device)
    got = recipe.checked(student, real).value
    sent = str(getattr(got, "sent_from", device))
    if torch.device(sent).type != device.type:
        raise Mistake(f"{about(*real)} with inputs on {device.type} returned a tensor on {sent}.", DEVICE_HINT)
    meta = (torch.empty(2, 3, 4, device="meta"), torch.empty(2, 3, dtype=torch.int64, device="meta"), 1)
    call = about(*meta) + " with inputs on another device (PyTorch's 'meta' device)"
    try:
        got = recipe.call(student, meta).value
    except StudentError as e:
        if any(w in e.message.lower() for w in DEVICE_WORDS):
            raise Mistake(f"{call} raised {e.type}: {e.message}", DEVICE_HINT) from None
        return
    if isinstance(got, torch.Tensor) and getattr(got, "sent_from", "meta") != "meta":
        raise Mistake(f"{call} returned a tensor on {got.sent_from}, not on the inputs' device.", DEVICE_HINT)


@pytest.mark.points(1.5)
def test_all_padding_gives_zero(student, device):
    """No token to predict: the loss is 0, not 0 / 0 = NaN, and its gradient is 0."""
    Y_hat, Y, tgt_pad = batch(2, 4, 5, [0, 0], 1, 11, dtype=torch.float64, device=device)
    call = about(Y_hat, Y, tgt_pad) + " (every label is padding)"
    out = recipe.call(student, (Y_hat, Y, tgt_pad), requires_grad=[0])
    got = out.value
    if not isinstance(got, torch.Tensor):
        raise Mistake(f"{call} returned {type(got).__name__}, expected a tensor.", NAN_HINT)
    expect_finite(got, call, NAN_HINT)
    expect_close(got.reshape(()) if got.numel() == 1 else got, torch.zeros((), dtype=Y_hat.dtype, device=device),
                 call, NAN_HINT)
    try:
        grads = student.backward([torch.ones_like(got)])
    except Exception:  # noqa: BLE001 - a constant 0 cut off the graph is still a fine answer here
        return
    g = grads.args[0]
    if g is not None:
        expect_finite(g, f"the gradient of {call}", NAN_HINT)
        expect_close(g, torch.zeros_like(Y_hat), f"the gradient of {call} with respect to Y_hat", NAN_HINT)
