"""Grader for ch04-accuracy: `accuracy(Y_hat, Y, averaged=True)` with the semantics of the book's
Classifier.accuracy (4.3.2): the classes lie along Y_hat's last axis (every other axis counts predictions), the
argmax of each row is compared with Y.reshape(-1), and the result is the mean of the float 0/1 comparison
(averaged=True) or that comparison itself (averaged=False).

The truth is torch's argmax and == on the same numbers. The scores never tie, so any argmax is the argmax.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, expect_close, first_matching_hint, seeded, show
from autograder.graders.common.devices import on_device_reading_values_allowed
from autograder.recipe import Recipe

LAST_AXIS_HINT = ("the classes are along the LAST axis of Y_hat: Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(dim=1) "
                  "gives one predicted class per row; compare with Y.reshape(-1).")
FLOAT_HINT = ("== gives bools: convert them with .type(torch.float32) (or .float()) before averaging, and return "
              "those floats when averaged=False.")
DEVICE_HINT = ("compute the result from the inputs with tensor operations only (no .tolist(), .cpu() or "
               "torch.tensor(...) of Python numbers): then it stays on the inputs' device.")


def scores(shape, seed, dtype=torch.float32, device="cpu"):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=2.0)


def labels_for(Y_hat, seed, dtype=torch.int64, shape=None):
    """Labels that agree with the argmax for about half of the predictions (so that no mistake can hide behind an
    accuracy of 0 or 1)."""
    q = Y_hat.shape[-1]
    preds = Y_hat.detach().cpu().reshape(-1, q).argmax(1)
    g = torch.Generator().manual_seed(seed)
    wrong = torch.rand(len(preds), generator=g) < 0.5
    shift = torch.randint(1, max(q, 2), (len(preds),), generator=g)
    Y = torch.where(wrong, (preds + shift) % q, preds)
    shape = Y_hat.shape[:-1] if shape is None else shape
    return Y.reshape(shape).to(dtype).to(Y_hat.device)


def case(shape, seed, dtype=torch.float32, label_dtype=torch.int64):
    def make(device):
        Y_hat = scores(shape, seed, dtype, device)
        return Y_hat, labels_for(Y_hat, seed + 1, label_dtype)
    return make


def compare(Y_hat, Y):
    """The book's per-prediction 0/1 result (float32, one entry per row of the reshaped Y_hat)."""
    preds = Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(dim=1)
    return (preds.to(Y.device) == Y.reshape(-1).long()).to(torch.float32)


def about(Y_hat, Y, averaged=True):
    what = "" if averaged else ", averaged=False"
    extra = "" if Y.dtype == torch.int64 else f" ({str(Y.dtype)[6:]})"
    return f"accuracy(Y_hat, Y{what}) for Y_hat of shape {tuple(Y_hat.shape)} and Y of shape {tuple(Y.shape)}{extra}"


def wrong_answers(Y_hat, Y, averaged):
    """The results of the usual mistakes, as the tensor an averaged (or per-example) answer would be."""
    x = Y_hat.double()
    y = Y.reshape(-1).long()
    result = (lambda c: c.mean()) if averaged else (lambda c: c)
    cands = {}
    if x.dim() == 2 and x.shape[0] == x.shape[1]:
        cands["you took the argmax over dimension 0 (over the examples); the classes are along the last axis: "
              + LAST_AXIS_HINT] = lambda: result((x.argmax(0) == y).double())
    cands["you compared the labels with Y_hat's largest values instead of their positions: argmax gives the "
          "predicted class (the index), max gives the score."] = \
        lambda: result((x.reshape(-1, x.shape[-1]).max(1).values == y).double())
    cands["you counted the wrong predictions; accuracy counts the right ones (== , not !=)."] = \
        lambda: result((x.reshape(-1, x.shape[-1]).argmax(1) != y).double())
    return cands


def check_averaged(args, got, call):
    Y_hat, Y = args
    c = compare(Y_hat, Y)
    expected = c.mean()
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got), device=expected.device)
    if not isinstance(got, torch.Tensor):
        raise Mistake(f"{call} returned {show(got)}, expected the fraction of correct predictions (a tensor).")
    if got.numel() != 1:
        hint = ("with averaged=True return the mean of the 0/1 comparison (compare.mean()), one number."
                if got.numel() == c.numel() else LAST_AXIS_HINT)
        raise Mistake(f"{call} returned a tensor of shape {tuple(got.shape)}, expected one number (the fraction of "
                      f"the {c.numel()} predictions that are right).", hint)
    if not got.is_floating_point() and got.item() != expected.item():
        raise Mistake(f"{call} returned {show(got)}, expected {expected.item():.6g}.",
                      "integer arithmetic rounds the fraction down: convert the 0/1 comparison to float "
                      "(.type(torch.float32)) and take its mean.")
    got = got.reshape(()).to(torch.float64)
    if abs(got.item() - c.sum().item()) < 1e-6 and abs(got.item() - expected.item()) > 1e-6:
        hint = "you returned the number of correct predictions; averaged=True gives their fraction (the mean)."
    else:
        hint = first_matching_hint(got, wrong_answers(Y_hat, Y, True), default=LAST_AXIS_HINT, atol=1e-6)
    expect_close(got, expected.double(), call, hint, rtol=0, atol=1e-6)


def check_per_example(args, got, call):
    Y_hat, Y = args
    c = compare(Y_hat, Y)
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got))
    if not isinstance(got, torch.Tensor):
        raise Mistake(f"{call} returned {show(got)}, expected a tensor of 0s and 1s, one per prediction.")
    if got.numel() == 1 and c.numel() > 1:
        counted = abs(got.double().item() - c.sum().item()) < 1e-6
        raise Mistake(f"{call} returned one number ({got.double().item():.6g}), expected one 0/1 result per "
                      f"prediction (shape ({c.numel()},)).",
                      "averaged=False returns the per-example comparison itself (the book's `compare`), not its "
                      "sum; sum it where you need the count." if counted else
                      "with averaged=False return the float 0/1 comparison of each prediction, not its mean.")
    if tuple(got.shape) not in [tuple(c.shape), tuple(Y.shape)]:
        raise Mistake(f"{call} returned a tensor of shape {tuple(got.shape)}, expected ({c.numel()},): one 0/1 "
                      "result per prediction.", LAST_AXIS_HINT)
    if not got.is_floating_point():
        raise Mistake(f"{call} returned dtype {got.dtype}, expected floats (the book's float32) of 0s and 1s.",
                      FLOAT_HINT)
    got = got.reshape(-1)
    hint = first_matching_hint(got, wrong_answers(Y_hat, Y, False), default=LAST_AXIS_HINT, atol=1e-6)
    expect_close(got, c.to(got.device), call, hint, rtol=0, atol=0, check_dtype=False)


def error_hint(e: StudentError):
    message = e.message.lower()
    if "device" in message:
        return DEVICE_HINT
    if "one_hot" in message:
        return ("F.one_hot accepts int64 labels only, and Y may be int32 or float: compare the predicted classes "
                "with Y directly (preds.type(Y.dtype) == Y.reshape(-1)), as the book does.")
    if "mean" in message and ("bool" in message or "long" in message or "dtype" in message):
        return FLOAT_HINT
    if "size of tensor" in message or "shape" in message or "dimension" in message:
        return LAST_AXIS_HINT
    return None


averaged = Recipe(about, check_averaged, error_hint=error_hint)
per_example = Recipe(lambda Y_hat, Y: about(Y_hat, Y, averaged=False), check_per_example,
                     kwargs={"averaged": False}, error_hint=error_hint)

test_fraction_of_correct_predictions = averaged.values(
    2.5, case((8, 5), seed=0), case((6, 6), seed=2), case((1, 3), seed=4), case((7, 4), seed=6, dtype=torch.float64))
test_averaged_false_gives_each_result = per_example.values(2, case((8, 5), seed=10), case((5, 5), seed=12))
test_inputs_not_modified = averaged.unmodified(
    0.5, case((6, 4), seed=40), names=["Y_hat", "Y"],
    hint="reshape and argmax make new tensors; do not assign into Y_hat or Y (or use in-place methods such as .round_()).")
test_speed_against_reference = averaged.speed(
    1.5, case((4096, 10), seed=50),
    hint="one argmax over the whole matrix and one == comparison, not a Python loop over the rows.")
test_result_on_the_inputs_device = on_device_reading_values_allowed(1, averaged.on_device(
    1, meta_inputs=lambda d: (torch.empty(6, 4, device="meta"), torch.empty(6, dtype=torch.long, device="meta")),
    real_inputs=case((6, 4), seed=60), hint=DEVICE_HINT, shape=None))


@pytest.mark.points(1.5)
def test_scores_with_more_axes(student, device):
    """Sequence models (book 9.5 onwards): Y_hat (batch, steps, vocabulary), Y (batch, steps)."""
    make = case((2, 3, 4), seed=20)
    averaged.values(0, make)(student, device)
    per_example.values(0, make)(student, device)


@pytest.mark.points(1)
def test_labels_of_other_dtypes(student, device):
    """The book converts the predictions to Y's dtype before comparing: int32 labels, and labels kept as floats."""
    averaged.values(0, case((8, 5), seed=30, label_dtype=torch.int32),
                    case((8, 5), seed=32, label_dtype=torch.float32))(student, device)
