"""What the graders of the book's from-scratch models share (ch04 SoftmaxRegressionScratch, ch05 MLPScratch):
building the student's model, reading and setting its parameters by the book's names, the statistics of a
random initialisation, the gradients of the parameters, and whether the parameters are registered with the
module (so that model.to(device) moves them and model.parameters() hands them to the optimiser).

Parameters are read through `model.bound("W.detach")` rather than `state()`: that works for a plain tensor
attribute as well as for an nn.Parameter, so a model that keeps its weights in plain tensors (the book's 4.4
listing) loses only the test about registration, not every test that looks at a weight.
"""
import math

import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_shape, show

REGISTER_HINT = ("make the weights and biases nn.Parameter attributes (self.W = nn.Parameter(...)): nn.Module "
                 "registers them, so model.parameters() hands them to the optimiser and model.to(device) moves "
                 "them. Plain tensors made with requires_grad=True (the book's 4.4 listing) stay on the CPU when "
                 "the model moves to a GPU.")


def build(student, call: str, *args, **kwargs):
    """The student's model, made with the random state of torch.manual_seed(0)."""
    try:
        return student.new(*args, seed=0, **kwargs)
    except StudentError as e:
        as_mistake(e, call, "keep the given signature and the given first lines of __init__."
                   if e.type == "TypeError" else "")


def read(model, name: str, call: str) -> torch.Tensor:
    """The current value of the model's attribute `name` (a parameter or a plain tensor)."""
    try:
        value = model.bound(f"{name}.detach").run().value
    except StudentError as e:
        if e.type == "AttributeError":
            raise Mistake(f"{call} has no tensor attribute {name} ({e.message}).",
                          f"create self.{name} in __init__, with the book's name {name}.") from None
        as_mistake(e, f"reading {name} of {call}")
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{name} of {call} is {show(value)}, expected a tensor.", f"make self.{name} a tensor.")
    return value


def diagnose_normal(mean: float, std: float, sigma: float) -> str:
    """The usual mistake behind a weight matrix that is not N(0, sigma^2)."""
    def near(a, b):
        return abs(a - b) <= 0.05 * b
    if std == 0:
        return (f"every entry is {mean:.4g}: draw the weights at random. Equal weights get equal gradients, so "
                "they would stay equal and the units (classes) could never become different.")
    if near(mean, sigma / 2) and near(std, sigma / math.sqrt(12)):
        return ("torch.rand draws uniformly from [0, 1), so its mean is not 0; draw from the normal distribution: "
                "torch.randn(shape) * sigma or torch.normal(0, sigma, size=shape).")
    if near(std, 1.0) and not near(sigma, 1.0):
        return "multiply the standard normal draws by sigma: torch.randn(shape) * sigma (or torch.normal(0, sigma, ...))."
    if near(std, sigma ** 2):
        return ("sigma is the standard deviation, not the variance: torch.normal(0, sigma, size=...) takes the "
                "standard deviation (sigma), not sigma ** 2.")
    if near(std, math.sqrt(sigma)):
        return "sigma is the standard deviation: use sigma itself, not its square root."
    return "draw every entry independently from N(0, sigma^2): torch.normal(0, sigma, size=shape) or torch.randn(shape) * sigma."


def expect_normal(W: torch.Tensor, sigma: float, what: str):
    """The entries of W look like independent N(0, sigma^2) draws: sample mean and standard deviation within five
    standard errors (a correct draw fails with probability below one in a million)."""
    w = W.detach().double().reshape(-1)
    n = w.numel()
    mean, std = w.mean().item(), w.std().item()
    mean_tol, std_tol = 5 * sigma / math.sqrt(n), 5 * sigma / math.sqrt(2 * n)
    if abs(mean) > mean_tol or abs(std - sigma) > std_tol:
        raise Mistake(f"the {n} entries of {what} have mean {mean:.4g} and standard deviation {std:.4g}; drawn from "
                      f"N(0, sigma^2) with sigma = {sigma:g} they would be about 0 (within +-{mean_tol:.2g}) and "
                      f"{sigma:g} (within +-{std_tol:.2g}).", diagnose_normal(mean, std, sigma))


def expect_zero_bias(b: torch.Tensor, size: int, what: str, name: str):
    """A bias of shape (size,) (the book's) or (1, size) (which broadcasts the same), all zeros."""
    if tuple(b.shape) not in [(size,), (1, size)]:
        raise Mistake(f"{what} has shape {tuple(b.shape)}, expected ({size},).",
                      f"{name} has one entry per unit of its layer: torch.zeros({size}).")
    if b.detach().any():
        raise Mistake(f"{what} starts as {show(b)}, expected zeros.", f"start {name} at zeros: torch.zeros({size}).")


def set_params(model, values: dict, call: str, hint: str):
    """Give the model the weights `values` (name -> tensor). A bias kept as (1, size) instead of (size,) gets its
    value in that shape."""
    for name, value in values.items():
        try:
            model.set(name, value)
        except StudentError as first:
            if value.dim() == 1:
                try:
                    model.set(name, value.reshape(1, -1))
                    continue
                except StudentError:
                    pass
            as_mistake(first, f"setting {name} of {call} to a tensor of shape {tuple(value.shape)}", hint)


def forward(model, X, call: str, error_hint, **run):
    """model(X), with an error the student can act on (error_hint(e) -> hint or "")."""
    try:
        return model.run(X, **run)
    except StudentError as e:
        as_mistake(e, call, error_hint(e))


def _grad_attribute(model, name):
    try:
        g = model.bound(f"{name}.grad.detach").run().value
    except StudentError:
        return None
    return g if isinstance(g, torch.Tensor) else None


def param_grads(model, grads, names, call: str, hint: str, rerun=None) -> dict:
    """The gradients of the named parameters after model.backward: from the module's registered parameters, or,
    for plain tensor attributes, from their .grad. Every call on the model starts with model.zero_grad(), which
    clears the .grad of whatever the model's parameters() returns (the book's 4.4 listing returns its plain
    tensors), so reading one .grad can clear the next: `rerun()` then repeats the forward and backward pass."""
    out = {}
    for name in names:
        g = grads.params.get(name)
        if g is None:
            g = _grad_attribute(model, name)
            if g is None and rerun is not None and name not in grads.params:
                rerun()
                g = _grad_attribute(model, name)
        if not isinstance(g, torch.Tensor):
            raise Mistake(f"{call}: no gradient reached {name}.", hint)
        out[name] = g
    return out


def expect_follows_the_model(model, names, X_meta, out_shape, call: str, error_hint):
    """After model.to(another device), every named tensor is there, and forward runs there. PyTorch's "meta"
    device (shapes, no values) stands for a GPU, so this shows on a CPU-only machine too."""
    model.method("to", "meta")
    for name in names:
        value = read(model, name, call)
        where = getattr(value, "sent_from", str(value.device))
        if torch.device(where).type != "meta":
            raise Mistake(f"after {call}.to(device) for another device (PyTorch's 'meta' device), {name} is still "
                          f"on {where}.", REGISTER_HINT)
    what = f"{call}.to(device), then model(X) for X of shape {tuple(X_meta.shape)} on that device"
    got = forward(model, X_meta, what, error_hint).value
    where = getattr(got, "sent_from", "meta") if isinstance(got, torch.Tensor) else None
    if where != "meta":
        raise Mistake(f"{what} returned {show(got)} on {where}, expected a tensor on the inputs' device.",
                      "compute the output from X and the parameters only; make any new tensor with device=X.device.")
    expect_shape(got, out_shape, what)
