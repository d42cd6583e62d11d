"""Grader for ch04-SoftmaxRegressionScratch: softmax regression as a module, W (num_inputs, num_outputs) drawn
from N(0, sigma^2), b zeros, forward = softmax(flattened X @ W + b) (book 4.4.2).

The truth is torch.softmax in float64 of the same numbers. While this exercise is graded the lesson's softmax
is the reference one (see autograder/notebook.py `program`), so what is checked is the model's own part: its
parameters, their initial values, the flattening, the affine map, gradients, and that W and b are registered.
"""
import pytest
import torch

from autograder.checks import Mistake, expect_backward, expect_close, expect_shape, first_matching_hint, seeded
from autograder.graders.common.scratch_models import (REGISTER_HINT, build, expect_follows_the_model,
                                                      expect_normal, expect_zero_bias, forward, param_grads, read,
                                                      set_params)

NAMES = ("W", "b")
FLATTEN_HINT = ("flatten each example first: X = X.reshape(-1, self.W.shape[0]) (or self.num_inputs), so that a "
                "batch of images (n, 1, 28, 28) becomes (n, num_inputs) and X @ W has shape (n, num_outputs).")
FORWARD_HINT = "forward(X) returns softmax(X.reshape(-1, num_inputs) @ W + b): one row of probabilities per example."
SHAPE_HINT = ("W has shape (num_inputs, num_outputs), so that X @ W maps each flattened example (a row of X) to "
              "num_outputs logits; b has shape (num_outputs,).")


def new(student, num_inputs, num_outputs, sigma=None):
    kwargs = {} if sigma is None else {"sigma": sigma}
    call = f"SoftmaxRegressionScratch({num_inputs}, {num_outputs}, lr=0.1{'' if sigma is None else f', sigma={sigma}'})"
    return build(student, call, num_inputs, num_outputs, 0.1, **kwargs), call


def error_hint(e) -> str:
    message = e.message.lower()
    if "device" in message:
        return REGISTER_HINT
    if "[-1, 784]" in message:
        return "do not hard-code 784: " + FLATTEN_HINT
    if any(w in message for w in ("shape", "size", "mat1", "dimension")):
        return FLATTEN_HINT
    return ""


def truth(X, W, b):
    """softmax(X W + b) in float64 of exactly the numbers the model holds."""
    O = X.reshape(X.shape[0], -1).double() @ W.double() + b.double()
    return torch.softmax(O, dim=1)


def diagnose(X, W, b, got) -> str:
    Xf, W, b = X.reshape(X.shape[0], -1).double(), W.double(), b.double()
    O = Xf @ W + b
    return first_matching_hint(got, {
        "you returned the logits X @ W + b; the model's output is their softmax (call softmax on them).": O,
        "the softmax must normalise each row (the classes of one example), not each column: use the lesson's "
        "softmax, which works on rows.": lambda: torch.softmax(O, dim=0),
        "the bias b is missing: softmax(X @ W + b).": lambda: torch.softmax(Xf @ W, dim=1),
        "that is a sigmoid of each logit; softmax regression normalises the exponentiated logits of each row.":
            lambda: torch.sigmoid(O),
        "X.reshape(num_inputs, -1) (then .T) mixes the pixels of different examples; X.reshape(-1, num_inputs) "
        "keeps each example in one row.": lambda: torch.softmax(X.double().reshape(W.shape[0], -1).T @ W + b, dim=1),
    }, default=FORWARD_HINT)


def weights(num_inputs, num_outputs, device, seed, scale):
    """Weights the grader sets: large enough that every class and the bias matter."""
    return {"W": seeded(num_inputs, num_outputs, seed=seed, device=device, scale=scale),
            "b": seeded(num_outputs, seed=seed + 1, device=device, scale=0.5)}


def check_forward(student, device, num_inputs, num_outputs, X, seed, scale):
    model, call = new(student, num_inputs, num_outputs)
    P = weights(num_inputs, num_outputs, device, seed, scale)
    set_params(model, P, call, SHAPE_HINT)
    what = f"model(X) for X of shape {tuple(X.shape)}, model = {call} with W and b set by the grader"
    got = forward(model, X, what, error_hint).value
    expected = truth(X, P["W"], P["b"]).float()
    expect_close(got, expected, what, lambda: diagnose(X, P["W"], P["b"], got))


@pytest.mark.points(2.5)
def test_parameters_shapes_and_initial_values(student, device):
    for num_inputs, num_outputs, sigma in [(300, 40, 0.3), (400, 30, None)]:
        model, call = new(student, num_inputs, num_outputs, sigma)
        W, b = read(model, "W", call), read(model, "b", call)
        hint = SHAPE_HINT
        if tuple(W.shape) == (num_outputs, num_inputs):
            hint = ("W is transposed: the book's W has shape (num_inputs, num_outputs) and the model computes X @ W "
                    "(nn.Linear stores the transpose, this model does not).")
        expect_shape(W, (num_inputs, num_outputs), f"W of a new {call}", hint)
        expect_normal(W, 0.01 if sigma is None else sigma, f"W of a new {call}")
        expect_zero_bias(b, num_outputs, f"b of a new {call}", "b")


@pytest.mark.points(3)
def test_forward_on_images(student, device):
    X = seeded(4, 1, 28, 28, seed=10, device=device, uniform=True)   # pixels in [0, 1), as Fashion-MNIST's
    check_forward(student, device, 784, 10, X, seed=11, scale=0.05)
    X = seeded(3, 784, seed=12, device=device, uniform=True)          # already flat
    check_forward(student, device, 784, 10, X, seed=13, scale=0.05)


@pytest.mark.points(1)
def test_other_sizes_and_a_batch_of_one(student, device):
    check_forward(student, device, 24, 3, seeded(5, 2, 3, 4, seed=20, device=device), seed=21, scale=0.5)
    check_forward(student, device, 24, 3, seeded(1, 24, seed=22, device=device), seed=23, scale=0.5)


@pytest.mark.points(2)
def test_gradients_of_W_and_b(student, device):
    num_inputs, num_outputs = 12, 4
    model, call = new(student, num_inputs, num_outputs)
    P = weights(num_inputs, num_outputs, device, seed=30, scale=0.5)
    set_params(model, P, call, SHAPE_HINT)
    X = seeded(5, 1, 3, 4, seed=31, device=device)
    what = f"model(X) for X of shape {tuple(X.shape)}, model = {call}"
    G = seeded(5, num_outputs, seed=32, device=device)
    hint = ("build the output from X, self.W and self.b with differentiable torch operations (no .detach(), .data "
            "or torch.no_grad() in forward), and make W and b nn.Parameters.")

    def run():
        out = forward(model, X, what, error_hint, requires_grad=[0])
        expect_close(out.value, truth(X, P["W"], P["b"]).float(), what, lambda: diagnose(X, P["W"], P["b"], out.value))
        return expect_backward(model, [G], what, hint)

    grads = run()
    got = param_grads(model, grads, NAMES, f"backpropagating through {what}", hint, rerun=run)
    leaves = {k: v.double().requires_grad_(True) for k, v in P.items()}
    Xr = X.double().requires_grad_(True)
    truth(Xr, leaves["W"], leaves["b"]).backward(G.double())
    for name in NAMES:
        g = got[name].reshape(leaves[name].shape)
        expect_close(g.double(), leaves[name].grad, f"the gradient of {what} with respect to {name}", hint,
                     rtol=1e-4, atol=1e-6)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached X through {what}.", hint)
    expect_close(grads.args[0].double(), Xr.grad, f"the gradient of {what} with respect to X", hint,
                 rtol=1e-4, atol=1e-6)


@pytest.mark.points(1.5)
def test_parameters_are_registered_and_follow_the_model(student, device):
    model, call = new(student, 12, 5)
    expect_follows_the_model(model, NAMES, torch.empty(3, 1, 3, 4, device="meta"), (3, 5), call, error_hint)
