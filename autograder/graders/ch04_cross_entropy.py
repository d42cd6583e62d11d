"""Grader for ch04-cross_entropy: `cross_entropy(y_hat, y)`, the mean over the minibatch of -log y_hat[i, y[i]]
for probabilities y_hat (n, q) and int64 labels y (n,) (book 4.4.3, 2nd edition: the mean, not one loss per example).

The truth is torch's own negative log-likelihood of log(y_hat) in float64. At a probability of exactly 0 the book's
code gives inf for the true class and an exact, finite loss when only a wrong class has probability 0; the lesson
says what is accepted there (inf, or a large finite loss from clamping; never NaN).
"""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, expect_backward, expect_close, expect_tensor,
                               first_matching_hint, seeded)
from autograder.graders.common.devices import on_device_reading_values_allowed
from autograder.recipe import Recipe

BANNED = {"functions": ["cross_entropy", "nll_loss", "binary_cross_entropy"],
          "aten": ["nll_loss_forward", "nll_loss", "nll_loss_nd", "nll_loss2d_forward", "nll_loss2d",
                   "cross_entropy_loss", "binary_cross_entropy"]}
PICK_HINT = ("pick row i's probability of its label y[i] for every row at once: y_hat[list(range(len(y_hat))), y] "
             "(or y_hat.gather(1, y.unsqueeze(1))).")
MEAN_HINT = ("return one number, the mean over the minibatch (the book's 2nd edition ends in .mean()); one loss per "
             "example was the 1st edition's convention.")
DEVICE_HINT = ("make every new tensor on the inputs' device: torch.arange(n, device=y_hat.device), "
               "torch.zeros_like(y_hat); a one-hot matrix made with torch.zeros((n, q)) lives on the CPU.")
ZERO_HINT = ("a wrong class's probability of 0 must not matter: the loss only looks at the true class. The one-hot "
             "formula -(one_hot * torch.log(y_hat)).sum(1) computes 0 * log(0) = 0 * (-inf) = NaN there; pick the "
             "true class's probability instead: " + PICK_HINT)


def probabilities(n, q, seed, dtype=torch.float32, device="cpu"):
    """Rows of a softmax of moderate logits: every probability is at least about 1e-3."""
    return torch.softmax(seeded(n, q, seed=seed, dtype=torch.float64, scale=1.5), dim=1).to(dtype).to(device)


def labels(n, q, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(q, (n,), generator=g).to(device)


def case(n, q, seed, dtype=torch.float32):
    return lambda d: (probabilities(n, q, seed, dtype, d), labels(n, q, seed + 1, d))


def truth(y_hat, y):
    return F.nll_loss(torch.log(y_hat.double()), y).to(y_hat.dtype)


def about(y_hat, y):
    dtype = "" if y_hat.dtype == torch.float32 else f"{str(y_hat.dtype)[6:]} "
    shown = f" = {y.tolist()}" if y.device.type != "meta" and y.numel() <= 8 else f" of shape {tuple(y.shape)}"
    return f"cross_entropy(y_hat, y) for {dtype}y_hat of shape {tuple(y_hat.shape)} and labels y{shown}"


def picked(y_hat, y):
    return y_hat.double()[torch.arange(len(y_hat), device=y_hat.device), y]


def diagnose(y_hat, y, got) -> str:
    p, x = picked(y_hat, y), y_hat.double()
    n, q = x.shape
    return first_matching_hint(got, {
        "you summed the losses over the minibatch; the book averages them (.mean()).": lambda: -torch.log(p).sum(),
        "the sign is wrong: the loss is the NEGATIVE log-probability of the true class (a positive number).":
            lambda: torch.log(p).mean(),
        "y_hat[:, y] picks every row's probability of every label in y (an n x n matrix); pair row i with label "
        "y[i]: y_hat[list(range(len(y_hat))), y].": lambda: -torch.log(x[:, y]).mean(),
        "y_hat[y] picks whole rows (rows number y[i]), not row i's entry y[i]: " + PICK_HINT:
            lambda: -torch.log(x[y]).mean(),
        "you averaged -log over every entry of y_hat; only the true class's probability counts: " + PICK_HINT:
            lambda: -torch.log(x).mean(),
        f"you averaged over all n * q = {n * q} entries of the one-hot product; sum over the classes, then average "
        f"over the n = {n} examples.": lambda: -torch.log(p).sum() / (n * q),
        "that is log base 10 (or 2); the loss uses the natural logarithm, torch.log.":
            [lambda: -torch.log10(p).mean(), lambda: -torch.log2(p).mean()],
        "the logarithm is missing: the loss is -log of the true class's probability.":
            [lambda: -p.mean(), lambda: (1 - p).mean()],
    }, default="the loss is the mean over the minibatch of -log(y_hat[i, y[i]]).")


TENSOR_HINT = ("return the loss as a tensor, without float() or .item(): the training loop calls .backward() on "
               "it.")


def per_example_truth(y_hat, y):
    """The 1st edition's result: one loss per example."""
    return -torch.log(picked(y_hat, y)).to(y_hat.dtype)


def is_per_example(y_hat, y, got) -> bool:
    """`got` is the right loss of each example (the 1st edition's convention) rather than their mean."""
    return (isinstance(got, torch.Tensor) and tuple(got.shape) == (len(y_hat),) and len(y_hat) > 1
            and bool(torch.allclose(got.detach().double(), per_example_truth(y_hat, y).double(), rtol=1e-4,
                                    atol=1e-5, equal_nan=True)))


def check_values(args, got, call, per_example_ok=False):
    """The mean loss, in y_hat's dtype. With `per_example_ok`, one right loss per example passes too: the tests
    other than the two that check the mean do not charge the 1st edition's convention again."""
    y_hat, y = args
    expect_tensor(got, call, TENSOR_HINT)
    n = len(y_hat)
    if per_example_ok and is_per_example(y_hat, y, got):
        return
    if got.numel() != 1:
        hint = MEAN_HINT
        if tuple(got.shape) == (n, n):
            hint = ("y_hat[:, y] picks every row's probability of every label in y (an n x n matrix); pair row i with "
                    "label y[i]: y_hat[list(range(len(y_hat))), y], then take the mean.")
        raise Mistake(f"{call} returned a tensor of shape {tuple(got.shape)}, expected one number (shape ()): the "
                      "mean over the minibatch.", hint)
    got = got.reshape(())
    if got.dtype != y_hat.dtype:
        raise Mistake(f"{call} returned dtype {got.dtype}, expected {y_hat.dtype} (y_hat's own).",
                      "compute in y_hat's dtype: no .float() or torch.tensor(...) in between.")
    expect_close(got, truth(y_hat, y), call, lambda: diagnose(y_hat, y, got))


def check_loss_or_losses(args, got, call):
    check_values(args, got, call, per_example_ok=True)


def error_hint(e: StudentError):
    message = e.message.lower()
    if "in-place" in message or "leaf variable" in message:
        return ("you change y_hat in place (log_, clamp_, -=), which autograd forbids for a tensor that requires "
                "gradients and which changes the caller's tensor: use out-of-place operations (torch.log(y_hat)).")
    if "device" in message:
        return DEVICE_HINT
    if e.type == "IndexError" or "index" in message or "shape" in message:
        return PICK_HINT
    return None


recipe = Recipe(about, check_values, error_hint=error_hint)
# the standard checks count only for a right result; one right loss per example counts as right there
lenient = Recipe(about, check_loss_or_losses, error_hint=error_hint)

test_matches_the_mean_negative_log_likelihood = recipe.values(2, case(6, 5, seed=0), case(8, 10, seed=2))
test_float64_and_a_batch_of_one = recipe.values(1, case(4, 3, seed=4, dtype=torch.float64), case(1, 7, seed=6))
test_input_not_modified = lenient.unmodified(
    0.5, case(5, 4, seed=8), names=["y_hat", "y"],
    hint="y_hat.log_() or y_hat.clamp_() change the caller's tensor; use torch.log(y_hat), y_hat.clamp(...).")
test_written_from_scratch = lenient.from_scratch(
    1, case(5, 4, seed=10), BANNED,
    hint="pick the true class's probabilities and average -log of them yourself; F.cross_entropy, F.nll_loss, "
         "nn.CrossEntropyLoss and nn.NLLLoss are what this exercise builds.")
test_speed_against_reference = lenient.speed(
    1, case(2048, 10, seed=12),
    hint="pick all rows' probabilities with one indexing expression (y_hat[list(range(len(y_hat))), y]) instead "
         "of a Python loop over the examples.")
test_result_on_the_inputs_device = on_device_reading_values_allowed(1, lenient.on_device(
    1, meta_inputs=lambda d: (torch.empty(5, 4, device="meta"), torch.empty(5, dtype=torch.long, device="meta")),
    real_inputs=case(5, 4, seed=14), hint=DEVICE_HINT, shape=None))


@pytest.mark.points(1.5)
def test_zero_probability_of_a_wrong_class(student, device):
    y_hat = torch.tensor([[0.0, 0.2, 0.8], [0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.0, 1.0, 0.0]], device=device)
    y = torch.tensor([2, 0, 2, 1], device=device)
    call = ("cross_entropy(y_hat, y) for y_hat = [[0, 0.2, 0.8], [0.5, 0.5, 0], [0.25, 0.25, 0.5], [0, 1, 0]] and "
            "y = [2, 0, 2, 1] (probability 0 for some wrong classes)")
    got = recipe.call(student, (y_hat, y)).value
    expect_tensor(got, call, TENSOR_HINT)
    if torch.isnan(got).any():
        raise Mistake(f"{call} returned NaN, expected the finite loss {truth(y_hat, y).item():.6g}.", ZERO_HINT)
    check_loss_or_losses((y_hat, y), got, call)


@pytest.mark.points(0.5)
def test_zero_probability_of_the_true_class(student, device):
    y_hat = torch.tensor([[0.0, 0.4, 0.6], [0.3, 0.3, 0.4]], device=device)
    y = torch.tensor([0, 2], device=device)
    call = "cross_entropy(y_hat, y) for y_hat = [[0, 0.4, 0.6], [0.3, 0.3, 0.4]] and y = [0, 2] (probability 0 for a true class)"
    got = recipe.call(student, (y_hat, y)).value
    expect_tensor(got, call, TENSOR_HINT)
    if got.numel() != 1 and tuple(got.shape) != (2,):
        raise Mistake(f"{call} returned a tensor of shape {tuple(got.shape)}, expected one number.", MEAN_HINT)
    value = got.double().mean().item()
    least = (-math.log(1e-4) - math.log(0.4)) / 2
    if value == math.inf or (math.isfinite(value) and value >= least):
        return
    if math.isnan(value):
        hint = ("NaN comes from 0 * log(0) or inf - inf: take -log of the true class's probability only, "
                "y_hat[list(range(len(y_hat))), y].")
    else:
        hint = ("probability 0 for the true class is the worst prediction there is: its loss is -log 0 = +inf. Do "
                "not skip or zero such terms (as torch.where(y_hat > 0, torch.log(y_hat), 0) does); torch.log(y_hat) "
                "as it is, or torch.log(y_hat.clamp(min=1e-12)), is fine.")
    raise Mistake(f"{call} returned {value:.6g}; expected inf (the book's -log 0) or, with clamped probabilities, a "
                  f"large finite loss (at least {least:.3g}: -log(1e-4) for the first example).", hint)


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device):
    y_hat, y = case(5, 4, seed=16, dtype=torch.float64)(device)
    call = about(y_hat, y)
    out = lenient.checked(student, (y_hat, y), requires_grad=[0])
    each = is_per_example(y_hat, y, out.value)
    G = seeded(len(y) if each else 1, seed=17, dtype=torch.float64, device=device).reshape(out.value.shape)
    grads = expect_backward(student, [G], call,
                            "build the loss from y_hat with differentiable torch operations (no .item(), .detach(), "
                            "torch.tensor(...) of values).")
    leaf = y_hat.clone().requires_grad_(True)
    (per_example_truth if each else truth)(leaf, y).backward(G)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached y_hat through {call}.", "compute the loss from y_hat itself.")
    expect_close(grads.args[0], leaf.grad, f"the gradient of {call} with respect to y_hat",
                 "the gradient is -1 / (n * y_hat[i, y[i]]) at each row's label and 0 elsewhere; if your values are "
                 "right, something is detached or clamped too far.", check_dtype=False)
