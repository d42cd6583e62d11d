"""Grader for ch03-LinearRegressionScratch (book 3.4.1-3.4.2): parameters w ~ N(0, sigma^2) of shape
(num_inputs, 1) and b = 0, `forward(X) = X w + b`, and the book's loss, the mean of (y_hat - y)^2 / 2.

The model is built with `student.new(num_inputs, lr, sigma=..., seed=...)`, its parameters are set with `.set`
to known values, and the truth is computed here in float64. Parameters and their gradients are read through
the object (common/models.py), so an nn.Parameter and the book's plain tensor with requires_grad=True are read
alike; only the device test tells them apart (a plain tensor does not follow `model.to(device)`).
"""
import math

import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_not_used,
                               first_matching_hint, seeded)
from autograder.graders.common.models import build, device_of, flag, read
from autograder.recipe import Recipe

F64 = torch.float64
LR = 0.03
BANNED = {"functions": ["linear", "Linear", "mse_loss", "MSELoss"], "aten": ["mse_loss", "linear"]}
NAMES_HINT = ("keep the weights as self.w and the bias as self.b (the book's names: configure_optimizers and the "
              "graders use them).")
SIGNATURE_HINT = "the constructor is LinearRegressionScratch(num_inputs, lr, sigma=0.01), as in the book."
W_HINT = ("w is a column of shape (num_inputs, 1), drawn from N(0, sigma^2): "
          "nn.Parameter(torch.normal(0, sigma, (num_inputs, 1))).")
B_HINT = "b is one number starting at 0: nn.Parameter(torch.zeros(1))."
PARAM_HINT = ("make w and b nn.Parameter(...): that sets requires_grad=True and registers them with the module, "
              "so that model.to(device), model.parameters() and state_dict() see them.")
FORWARD_HINT = "forward returns X @ self.w + self.b, a column of shape (n, 1)."
LOSS_HINT = "the book's loss is the mean over the minibatch of (y_hat - y) ** 2 / 2: a scalar."
FLAT_HINT = ("y came as a flat vector of shape (n,) while y_hat is a column (n, 1): y_hat - y then broadcasts to an "
             "(n, n) matrix that pairs every prediction with every label. Reshape y first: "
             "y.reshape(y_hat.shape).")
GRAD_HINT = ("compute from self.w and self.b themselves with torch operations (no .detach(), .data or "
             "torch.tensor(...)), and create them with requires_grad (nn.Parameter does it).")


def new(student, num_inputs, **kwargs):
    extra = "".join(f", {k}={v}" for k, v in kwargs.items())
    return build(student, f"LinearRegressionScratch({num_inputs}, lr={LR}{extra})", num_inputs, LR,
                 hint=SIGNATURE_HINT, **kwargs)


def with_parameters(student, device, num_inputs, seed):
    """A model whose w and b are set to known values (b = 0.7, so that a missing bias shows)."""
    inst = new(student, num_inputs)
    W = seeded(num_inputs, 1, seed=seed, device=device)
    b_shape = read(inst, "b", "the model's bias self.b", NAMES_HINT).shape
    read(inst, "w", "the model's weights self.w", NAMES_HINT)
    if math.prod(b_shape) != 1:
        raise Mistake(f"the bias of LinearRegressionScratch({num_inputs}, lr={LR}) has shape {tuple(b_shape)}; "
                      "it should be one number.", B_HINT)
    B = torch.full(tuple(b_shape), 0.7, device=device)
    for name, value, hint in (("w", W, W_HINT), ("b", B, B_HINT)):
        try:
            inst.set(name, value)
        except StudentError as e:
            as_mistake(e, f"setting the model's {name} to a tensor of shape {tuple(value.shape)}", hint)
    return inst, W, B.reshape(())


def inputs(n, num_inputs, seed, device, dtype=torch.float32):
    return seeded(n, num_inputs, seed=100 + seed, dtype=dtype, device=device)


def forward_truth(X, W, b):
    return (X.to(F64) @ W.to(F64) + b.to(F64)).to(X.dtype)


def diagnose_forward(X, W, b, got) -> str:
    if not isinstance(got, torch.Tensor) or got.shape != (X.shape[0], 1):
        return FORWARD_HINT
    x, w, b = X.to(F64), W.to(F64), b.to(F64)
    return first_matching_hint(got, {
        "the bias is missing: X @ self.w + self.b.": lambda: x @ w,
        "subtract nothing: the model adds the bias, X @ self.w + self.b.": lambda: x @ w - b,
    }, default=FORWARD_HINT)


# -- the loss ------------------------------------------------------------------------------------------------------

def loss_truth(y_hat, y):
    return ((y_hat.to(F64) - y.to(F64).reshape(y_hat.shape)) ** 2 / 2).mean().to(y_hat.dtype)


def about_loss(y_hat, y):
    dtype = "" if y_hat.dtype == torch.float32 else f"{str(y_hat.dtype)[6:]} "
    return f"model.loss(y_hat, y) for {dtype}y_hat of shape {tuple(y_hat.shape)} and y of shape {tuple(y.shape)}"


def diagnose_loss(y_hat, y, got) -> str:
    if isinstance(got, torch.Tensor) and got.dim() > 0:
        return "return the mean over the minibatch, one number (a 0-dim tensor): l.mean()."
    d = y_hat.to(F64) - y.to(F64).reshape(y_hat.shape)
    flat = y_hat.to(F64) - y.to(F64)   # what broadcasting gives when y is not a column
    return first_matching_hint(got, {
        FLAT_HINT: (lambda: (flat ** 2 / 2).mean()) if y.dim() == 1 else None,
        "the 1/2 is missing: the book's squared loss is (y_hat - y) ** 2 / 2.": lambda: (d ** 2).mean(),
        "that is the sum over the minibatch; the book's loss is the mean (l.mean()), so that the learning rate "
        "does not depend on the batch size.": lambda: (d ** 2 / 2).sum(),
        "that is the sum without the 1/2; the loss is the mean of (y_hat - y) ** 2 / 2.": lambda: (d ** 2).sum(),
        "that is the absolute error; the squared loss squares the difference.": lambda: (d.abs() / 2).mean(),
        "that is the square root of the loss; do not take a root.": lambda: ((d ** 2 / 2).mean()).sqrt(),
    }, default=LOSS_HINT)


def check_loss(args, got, call):
    y_hat, y = args
    expect_close(got, loss_truth(y_hat, y), call, lambda: diagnose_loss(y_hat, y, got))


loss_recipe = Recipe(about_loss, check_loss, target=lambda student, device: new(student, 3).bound("loss"))


def predictions(n, seed, device, dtype=torch.float32):
    y_hat = seeded(n, 1, seed=200 + seed, dtype=dtype, device=device, scale=2.0)
    y = seeded(n, 1, seed=300 + seed, dtype=dtype, device=device, scale=2.0)
    return y_hat, y


# -- tests ---------------------------------------------------------------------------------------------------------

def check_init(inst, call, num_inputs, sigma):
    w = read(inst, "w", f"the weights self.w of {call}", NAMES_HINT)
    if tuple(w.shape) != (num_inputs, 1):
        raise Mistake(f"the weights of {call} have shape {tuple(w.shape)}, expected ({num_inputs}, 1).", W_HINT)
    n = w.numel()
    mean, std = w.to(F64).mean().item(), w.to(F64).std().item()
    mean_bound, std_bound = 5 * sigma / math.sqrt(n), 5 * sigma / math.sqrt(2 * n)
    if abs(mean) > mean_bound or abs(std - sigma) > std_bound:
        if std == 0:
            hint = "the weights are all equal; draw them at random: torch.normal(0, sigma, (num_inputs, 1))."
        elif abs(std - sigma ** 2) < 5 * sigma ** 2 / math.sqrt(2 * n):
            hint = ("their standard deviation is sigma squared: torch.normal's second argument is the standard "
                    "deviation sigma, not the variance.")
        elif sigma != 0.01 and abs(std - 0.01) < 5 * 0.01 / math.sqrt(2 * n):
            hint = ("they have standard deviation 0.01 although sigma is different: use the argument sigma "
                    "(torch.normal(0, sigma, (num_inputs, 1))), not the default 0.01.")
        elif abs(std - 1) < 0.1:
            hint = "they have standard deviation 1: scale by sigma, or draw with torch.normal(0, sigma, size)."
        elif abs(mean - sigma / 2) < mean_bound:
            hint = ("torch.rand draws uniformly from [0, 1); draw from a normal distribution: "
                    "torch.normal(0, sigma, size).")
        else:
            hint = W_HINT
        raise Mistake(f"the weights of {call} have mean {mean:.4g} and standard deviation {std:.4g}; drawn from "
                      f"N(0, {sigma}^2) they should have mean 0 +- {mean_bound:.2g} and standard deviation "
                      f"{sigma} +- {std_bound:.2g}.", hint)
    b = read(inst, "b", f"the bias self.b of {call}", NAMES_HINT)
    if b.numel() != 1 or b.item() != 0:
        raise Mistake(f"the bias of {call} is a tensor of shape {tuple(b.shape)}, {b.reshape(-1)[:4].tolist()}; "
                      "it should be one number, 0.", B_HINT)
    for name in ("w", "b"):
        if not flag(inst, f"{name}.requires_grad"):
            raise Mistake(f"{name} of {call} does not require gradients, so training cannot change it.", PARAM_HINT)
    return w


@pytest.mark.points(2)
def test_parameters_shapes_and_initial_values(student, device):
    w0 = None
    for num_inputs, sigma in ((1500, 0.5), (2000, None)):
        kwargs = {} if sigma is None else {"sigma": sigma}
        inst = new(student, num_inputs, **kwargs)
        call = f"LinearRegressionScratch({num_inputs}, lr={LR}" + (f", sigma={sigma})" if sigma else ")")
        w0 = check_init(inst, call, num_inputs, sigma or 0.01)
    again = read(new(student, 2000), "w", "the weights", NAMES_HINT)
    other = read(build(student, "LinearRegressionScratch(2000, lr=0.03)", 2000, LR, seed=1), "w", "the weights",
                 NAMES_HINT)
    hint = ("draw w with torch's generator (torch.normal), and do not call torch.manual_seed inside the model: "
            "the caller decides the seed.")
    if not torch.equal(again, w0):
        raise Mistake("LinearRegressionScratch(2000, lr=0.03) built twice after torch.manual_seed(0) gave different "
                      "weights.", hint)
    if torch.equal(other, w0):
        raise Mistake("LinearRegressionScratch(2000, lr=0.03) built after torch.manual_seed(0) and after "
                      "torch.manual_seed(1) gave the same weights.", hint)


@pytest.mark.points(1)
def test_parameters_follow_the_model_to_its_device(student, device):
    inst = new(student, 4)
    try:
        inst.method("to", "meta")
    except StudentError as e:
        as_mistake(e, "model.to(device)")
    for name in ("w", "b"):
        t = read(inst, name, f"the model's {name}", NAMES_HINT)
        where = device_of(t)
        if where != "meta":
            raise Mistake(f"after model.to(another device), the model's {name} stayed on {where}: plain tensor "
                          "attributes do not move with the model (on a GPU, the first forward pass then fails).",
                          PARAM_HINT)


@pytest.mark.points(2)
def test_forward_values(student, device):
    for num_inputs, n, seed in ((3, 5, 0), (3, 1, 1), (1, 4, 2), (6, 7, 3)):
        inst, W, b = with_parameters(student, device, num_inputs, seed)
        X = inputs(n, num_inputs, seed, device)
        call = f"model(X) for X of shape {tuple(X.shape)}, w of shape ({num_inputs}, 1) and b = 0.7"
        try:
            got = inst.run(X).value
        except StudentError as e:
            as_mistake(e, call, FORWARD_HINT)
        expect_close(got, forward_truth(X, W, b), call, lambda: diagnose_forward(X, W, b, got))


@pytest.mark.points(1.5)
def test_forward_gradients_reach_w_and_b(student, device):
    num_inputs, n = 4, 6
    inst, W, b = with_parameters(student, device, num_inputs, seed=4)
    X = inputs(n, num_inputs, 4, device)
    call = f"model(X) for X of shape {tuple(X.shape)}"
    try:
        got = inst.run(X).value
    except StudentError as e:
        as_mistake(e, call, FORWARD_HINT)
    expect_close(got, forward_truth(X, W, b), call, lambda: diagnose_forward(X, W, b, got))
    G = seeded(n, 1, seed=5, device=device)
    grads = expect_backward(inst, [G], call, GRAD_HINT)
    expected = {"w": (X.to(F64).T @ G.to(F64)).float(), "b": G.to(F64).sum().float()}
    for name, want in expected.items():
        if name in grads.params:              # an nn.Parameter: the backward reply carries its gradient
            got_grad = grads.params[name]
        else:                                 # a plain tensor attribute: read its .grad
            try:
                got_grad = inst.bound(f"{name}.grad.detach").run().value
            except StudentError:
                got_grad = None
        if got_grad is None:
            raise Mistake(f"no gradient reached the model's {name} through {call}.", GRAD_HINT)
        expect_close(got_grad.reshape(want.shape), want, f"the gradient of {call} with respect to {name}, for an "
                     "output gradient G (expected X.T @ G for w, G.sum() for b)", GRAD_HINT, check_dtype=False)


test_loss_values = loss_recipe.values(
    2, lambda d: predictions(6, 0, d), lambda d: predictions(1, 1, d),          # a batch of one too
    lambda d: predictions(5, 2, d, dtype=F64))                                   # float64 stays float64


@pytest.mark.points(0.5)
def test_loss_with_flat_labels(student, device):
    y_hat, y = predictions(5, 3, device)
    args = (y_hat, y.reshape(-1))
    loss_recipe.checked(loss_recipe.target(student, device), args)


@pytest.mark.points(0.5)
def test_loss_gradient(student, device):
    y_hat, y = predictions(4, 4, device, dtype=F64)
    call = about_loss(y_hat, y)
    impl = loss_recipe.target(student, device)
    loss_recipe.checked(impl, (y_hat, y), requires_grad=[0])
    got = expect_backward(impl, [torch.tensor(1.0, dtype=F64, device=device)], call, GRAD_HINT).args[0]
    if got is None:
        raise Mistake(f"no gradient reached y_hat through {call}.", GRAD_HINT)
    expect_close(got, (y_hat - y) / len(y), f"the gradient of {call} with respect to y_hat (expected "
                 "(y_hat - y) / n)", LOSS_HINT, check_dtype=False)


@pytest.mark.points(0.5)
def test_written_from_scratch(student, device):
    inst, W, b = with_parameters(student, device, 3, seed=6)
    X = inputs(4, 3, 6, device)
    out = inst.run(X, watch=BANNED)
    expect_close(out.value, forward_truth(X, W, b), "model(X)", lambda: diagnose_forward(X, W, b, out.value))
    y_hat, y = predictions(4, 7, device)
    loss = inst.bound("loss").run(y_hat, y, watch=BANNED)
    check_loss((y_hat, y), loss.value, about_loss(y_hat, y))
    expect_not_used(sorted(set(out.seen) | set(loss.seen)), BANNED, "the model's forward and loss",
                    "write X @ self.w + self.b and the mean of (y_hat - y) ** 2 / 2 yourself; nn.Linear, F.linear, "
                    "F.mse_loss and nn.MSELoss are what this exercise builds.")
