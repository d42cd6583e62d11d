"""Grader for ch06-CenteredLayer: `CenteredLayer()(X) = X - X.mean()`, the mean of ALL entries (book 6.5.1).

Run alone (a new layer, `student.new()`) and, as the book does, after a linear layer inside nn.Sequential (the
lesson's given `centered_after_linear(X, W, b)`, which the graders call by name: a network cannot cross into
the grading sandbox). Truth: X - X.mean() in float64.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, first_matching_hint, seeded
from autograder.recipe import Recipe

DETACH_HINT = ("the mean depends on X too, so the gradient of X - mean(X) is G - mean(G), not G: keep the mean "
               "in the graph (X - X.mean()); .detach(), .item(), float() or torch.tensor(...) cut it.")
MODULE_HINT = ("CenteredLayer must subclass nn.Module (class CenteredLayer(nn.Module), super().__init__() in "
               "__init__, the work in forward) so that nn.Sequential accepts it like any built-in layer.")


def inputs(*shape, seed=0, dtype=torch.float32, device="cpu"):
    """Entries far from zero mean, so that forgetting to subtract the mean shows."""
    return seeded(*shape, seed=seed, dtype=dtype, device=device, scale=2.0, shift=3.0)


def diagnose(X, got) -> str:
    x = X.to(torch.float64)
    candidates = {
        "subtract the mean of all entries (one number), not the mean of each column (dim 0).":
            lambda: x - x.mean(0, keepdim=True) if x.dim() > 1 else None,
        "subtract the mean of all entries (one number), not the mean of each row.":
            lambda: x - x.mean(-1, keepdim=True) if x.dim() > 1 else None,
        "you returned the mean itself: forward returns X minus the mean.":
            lambda: x.mean().expand_as(x),
        "only subtract the mean: dividing by the standard deviation as well is standardisation, not centring.":
            lambda: (x - x.mean()) / x.std(),
        "the mean divides the sum by the number of ALL entries (X.numel()), not by the number of rows.":
            lambda: x - x.sum() / x.shape[0] if x.dim() > 1 else None,
        "the mean is the sum over all entries divided by their number; you subtracted the sum.":
            lambda: x - x.sum(),
    }
    if x.dim() > 1:  # the mean of each row without keepdim broadcasts along the wrong dimension
        candidates["use keepdim=True (or the mean of all entries): the row means broadcast along the wrong "
                   "dimension."] = lambda: x - x.mean(-1) if x.shape[-1] == x.shape[-2] else None
    return first_matching_hint(got, candidates,
                               default="CenteredLayer()(X) is X - X.mean(): every entry minus the mean of all "
                                       "entries of X, whatever the shape of X.")


def about(X):
    dtype = "" if X.dtype == torch.float32 else f"{str(X.dtype)[6:]} "
    return f"CenteredLayer()(X) for {dtype}X of shape {tuple(X.shape)}"


def check_values(args, got, call):
    (X,) = args
    expect_close(got, (X.double() - X.double().mean()).to(X.dtype), call, lambda: diagnose(X, got))


def new_layer(student, device):
    try:
        return student.new(seed=0)
    except StudentError as e:
        as_mistake(e, "CenteredLayer()", "the book's layer takes no arguments: def __init__(self): "
                                         "super().__init__().")


def error_hint(e):
    """The hint for an error raised by the layer on a checked call (None: the error stays as it is)."""
    message = e.message.lower()
    if "dimension out of range" in message or "must match the size" in message:
        return ("subtract the mean of all entries, X.mean(): one number, which broadcasts to any shape. A mean "
                "along one dimension is not what this layer computes (and without keepdim=True it does not even "
                "broadcast back).")
    if "leaf variable" in message or "in-place" in message:
        return "X -= X.mean() changes the caller's tensor in place; return X - X.mean(), a new tensor."
    return None


recipe = Recipe(about, check_values, target=new_layer, error_hint=error_hint)

test_matches_x_minus_mean = recipe.values(
    3, lambda d: (inputs(5, seed=1, device=d),),           # the book's example is a vector
    lambda d: (inputs(4, 8, seed=2, device=d),),
    lambda d: (inputs(3, 3, seed=3, device=d),),
    lambda d: (inputs(2, 3, 4, seed=4, device=d),))
test_float64_and_batch_of_one = recipe.values(
    1, lambda d: (inputs(6, 5, seed=5, dtype=torch.float64, device=d),),
    lambda d: (inputs(1, 7, seed=6, device=d),))
test_gradient_matches_autograd = recipe.gradient(
    1.5, lambda d: (inputs(4, 6, seed=7, dtype=torch.float64, device=d),), truth=lambda X: X - X.mean(),
    hint=DETACH_HINT)
test_input_not_modified = recipe.unmodified(
    1, lambda d: (inputs(4, 5, seed=8, device=d),), names=["X"],
    hint="X -= X.mean() (or X.sub_) changes the caller's tensor; return X - X.mean(), a new tensor.")


def sequential_args(device, dtype=torch.float64, seed=20):
    X = inputs(4, 8, seed=seed, dtype=dtype, device=device)
    W = seeded(16, 8, seed=seed + 1, dtype=dtype, device=device, scale=0.5)
    b = seeded(16, seed=seed + 2, dtype=dtype, device=device, shift=1.0)
    return X, W, b


SEQUENTIAL = ("nn.Sequential(nn.Linear(8, 16), CenteredLayer())(X) (the book's use of the layer, through the "
              "lesson's centered_after_linear)")


def run_in_sequential(net, X, W, b):
    try:
        return net.run(X, W, b, requires_grad=[0, 1, 2]).value
    except StudentError as e:
        as_mistake(e, SEQUENTIAL, MODULE_HINT if "module" in e.message.lower() else "")


def check_sequential(X, W, b, got):
    H = X.double() @ W.double().T + b.double()
    expect_close(got, (H - H.mean()).to(X.dtype), SEQUENTIAL + f" for {str(X.dtype)[6:]} inputs",
                 lambda: diagnose(H, got))


@pytest.mark.points(2)
def test_inside_nn_sequential(sibling, student, device):
    """The book's nn.Sequential(nn.LazyLinear(128), CenteredLayer()), float32 and float64."""
    net = sibling("centered_after_linear")
    for dtype, seed in [(torch.float32, 20), (torch.float64, 30)]:
        X, W, b = sequential_args(device, dtype, seed)
        check_sequential(X, W, b, run_in_sequential(net, X, W, b))


@pytest.mark.points(1.5)
def test_gradients_through_nn_sequential(sibling, student, device):
    """Gradients to X and to the linear layer's W and b, through the layer."""
    net = sibling("centered_after_linear")
    X, W, b = sequential_args(device, torch.float64, 40)
    check_sequential(X, W, b, run_in_sequential(net, X, W, b))
    leaves = [t.detach().clone().requires_grad_(True) for t in (X, W, b)]
    H = leaves[0] @ leaves[1].T + leaves[2]
    out = H - H.mean()
    G = seeded(*out.shape, seed=99, dtype=out.dtype, device=out.device)
    out.backward(G)
    try:
        grads = net.backward([G]).args
    except StudentError as e:
        raise Mistake(f"backpropagating through {SEQUENTIAL} failed: {e.type}: {e.message}", DETACH_HINT) from None
    for name, got, leaf in zip(("X", "the linear layer's weight W", "the linear layer's bias b"), grads, leaves):
        if got is None:
            raise Mistake(f"no gradient reached {name} through {SEQUENTIAL}.", DETACH_HINT)
        expect_close(got, leaf.grad, f"the gradient with respect to {name} of {SEQUENTIAL}", DETACH_HINT)
