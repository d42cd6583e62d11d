"""Grader for ch09-perplexity: `perplexity(Y_hat, Y)`, the exponential of the mean cross-entropy of logits
`Y_hat` (..., vocab_size) for target indices `Y` (...) (book 9.3.2). Truth: exp(F.cross_entropy) in float64."""
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_finite,
                               first_matching_hint, seeded)
from autograder.recipe import Recipe

BANNED = {"functions": ["cross_entropy", "nll_loss", "CrossEntropyLoss", "NLLLoss"],
          "aten": ["cross_entropy_loss", "nll_loss", "nll_loss_nd", "nll_loss_forward", "nll_loss2d",
                   "nll_loss2d_forward"]}
RULE = ("perplexity = exp(mean over all positions of -log softmax(Y_hat)[target]): flatten the positions "
        "(Y_hat.reshape(-1, vocab_size), Y.reshape(-1)), take log-probabilities over the LAST dimension, pick each "
        "target's, average, then exponentiate.")
STABLE_HINT = ("exp(1000) overflows: compute log softmax as o - torch.logsumexp(o, dim=-1, keepdim=True) (or "
               "torch.log_softmax), not as log(exp(o) / exp(o).sum()).")


def logits(*shape, seed=0, dtype=torch.float32, device="cpu", scale=2.0):
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=scale)


def targets(*shape, vocab_size, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(1000 + seed)
    return torch.randint(0, vocab_size, shape, generator=g).to(device)


def truth(Y_hat, Y):
    V = Y_hat.shape[-1]
    return torch.exp(F.cross_entropy(Y_hat.double().reshape(-1, V), Y.reshape(-1))).to(Y_hat.dtype)


def diagnose(Y_hat, Y, got) -> str:
    if not isinstance(got, torch.Tensor):
        return "return a tensor: torch.exp(...) of the mean, not a Python number (.item() cuts the gradient)."
    if got.dim() != 0:
        return ("return one number for the whole batch, a 0-d tensor: the mean over every position, then exp "
                f"(you returned shape {tuple(got.shape)}).")
    V = Y_hat.shape[-1]
    x, y = Y_hat.detach().double().cpu(), Y.cpu()
    lp = torch.log_softmax(x.reshape(-1, V), 1)
    nll = -lp.gather(1, y.reshape(-1, 1))[:, 0]
    candidates = {
        "you exponentiated the SUM of the losses; perplexity is exp of their MEAN.": lambda: nll.sum().exp(),
        "you averaged exp(loss) over the positions; perplexity is exp of the mean loss (the geometric mean).":
            lambda: nll.exp().mean(),
        "you returned the mean cross-entropy itself; perplexity is its exponential: torch.exp(mean).":
            lambda: nll.mean(),
        "the sign is off: you returned exp(mean log p) = 1 / perplexity; use the NEGATIVE log-probabilities.":
            lambda: (-nll.mean()).exp(),
        "perplexity uses the natural log and exp (e), not 2 ** (mean of natural logs).": lambda: 2 ** nll.mean(),
        "the logits are not log-probabilities: subtract logsumexp over the vocabulary (log softmax) before "
        "picking the targets' values.": lambda: (-x.reshape(-1, V).gather(1, y.reshape(-1, 1))).mean().exp(),
    }
    if x.dim() == 3:
        for dim, name in ((0, "the batch dimension (0)"), (1, "the time steps (dim 1)")):
            candidates[f"you took the softmax over {name}; it is over the vocabulary, the last dimension."] = \
                (lambda d=dim: torch.exp(-torch.log_softmax(x, d).gather(2, y[..., None]).mean()))
        if x.shape[0] != x.shape[1]:
            candidates["Y_hat and Y pair up position by position: both are (batch_size, num_steps, ...); do not "
                       "transpose one of them."] = \
                lambda: torch.exp(F.cross_entropy(x.transpose(0, 1).reshape(-1, V), y.reshape(-1)))
    # each wrong answer as the student's dtype would hold it (exp of a large sum overflows to inf in float32)
    candidates = {hint: (lambda f=f: f().to(got.dtype).double()) for hint, f in candidates.items()}
    return first_matching_hint(got, candidates, default=RULE, rtol=1e-4)


def about(Y_hat, Y):
    dtype = "" if Y_hat.dtype == torch.float32 else f"{str(Y_hat.dtype)[6:]} "
    return f"perplexity(Y_hat, Y) for {dtype}logits of shape {tuple(Y_hat.shape)} and targets of shape {tuple(Y.shape)}"


def check_values(args, got, call):
    Y_hat, Y = args
    expect_close(got, truth(Y_hat, Y), call, lambda: diagnose(Y_hat, Y, got))


recipe = Recipe(about, check_values)


def case(B, T, V, seed, device, dtype=torch.float32):
    return logits(B, T, V, seed=seed, dtype=dtype, device=device), targets(B, T, vocab_size=V, seed=seed,
                                                                           device=device)


test_matches_exp_of_the_mean_cross_entropy = recipe.values(
    2.5, lambda d: case(4, 6, 10, 0, d), lambda d: case(2, 35, 28, 1, d))
test_flat_logits_batch_of_one_and_float64 = recipe.values(
    1.5, lambda d: (logits(12, 7, seed=2, device=d), targets(12, vocab_size=7, seed=2, device=d)),
    lambda d: case(1, 1, 5, 3, d), lambda d: case(3, 4, 6, 4, d, dtype=torch.float64))
test_inputs_not_modified = recipe.unmodified(
    0.5, lambda d: case(2, 5, 8, 6, d), names=["Y_hat", "Y"],
    hint="Y_hat -= ... or Y_hat.exp_() change the caller's tensor; use out-of-place operations.")
test_written_from_scratch = recipe.from_scratch(
    1, lambda d: case(2, 5, 8, 7, d), BANNED,
    hint="write the mean cross-entropy with torch.logsumexp (or torch.log_softmax) and gather or indexing; "
         "F.cross_entropy, F.nll_loss and nn.CrossEntropyLoss are what this exercise builds.")
test_result_on_the_inputs_device = recipe.on_device(
    0.5, lambda d: (torch.empty(2, 5, 8, device="meta"), torch.empty(2, 5, dtype=torch.long, device="meta")),
    lambda d: case(2, 5, 8, 8, d), shape=())


@pytest.mark.points(1.5)
def test_uniform_and_confident_models(student, device):
    Y = targets(3, 4, vocab_size=9, seed=9, device=device)
    call = "perplexity(torch.zeros(3, 4, 9), Y), equal logits over 9 tokens"
    got = recipe.call(student, (torch.zeros(3, 4, 9, device=device), Y)).value
    expect_close(got, torch.tensor(9.0, device=device), call,
                 lambda: diagnose(torch.zeros(3, 4, 9), Y.cpu(), got) if isinstance(got, torch.Tensor) else RULE)
    sure = torch.full((3, 4, 9), -5.0, device=device).scatter(2, Y[..., None], 25.0)
    call = "perplexity(Y_hat, Y) for a model that gives every target a logit 30 above the others"
    got = recipe.call(student, (sure, Y)).value
    expect_close(got, truth(sure, Y), call, lambda: diagnose(sure, Y, got))


@pytest.mark.points(1)
def test_large_logits_do_not_overflow(student, device):
    Y_hat = torch.tensor([[[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]]], device=device)
    Y = torch.tensor([[0, 1]], device=device)
    call = "perplexity(Y_hat, Y) for logits of size 1000, Y_hat = [[[1000, -1000, 0], [-1000, 999, 1000]]], Y = [[0, 1]]"
    got = recipe.call(student, (Y_hat, Y)).value
    if isinstance(got, torch.Tensor):
        expect_finite(got, call, STABLE_HINT)
    expect_close(got, truth(Y_hat, Y), call, STABLE_HINT)


@pytest.mark.points(1.5)
def test_gradient_matches_autograd(student, device):
    """By hand rather than recipe.gradient: the result is a 0-d tensor, and so is the output gradient."""
    Y_hat, Y = case(3, 4, 6, 5, device, dtype=torch.float64)
    call = about(Y_hat, Y)
    hint = ("build the result from Y_hat with differentiable torch operations; .item(), .detach(), float() or "
            "torch.tensor(...) cut the graph.")
    recipe.checked(student, (Y_hat, Y), requires_grad=[0])
    G = torch.tensor(0.75, dtype=torch.float64, device=device)
    try:
        got = student.backward([G]).args[0]
    except StudentError as e:
        as_mistake(e, f"backpropagating through {call}", hint)
    if got is None:
        raise Mistake(f"no gradient reached Y_hat through {call}.", hint)
    leaf = Y_hat.detach().clone().requires_grad_(True)
    truth(leaf, Y).backward(G)
    expect_close(got, leaf.grad, f"the gradient of {call} with respect to Y_hat", hint)
