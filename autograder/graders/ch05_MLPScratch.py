"""Grader for ch05-MLPScratch: the book's one-hidden-layer MLP (5.2.1), MLPScratch(num_inputs, num_outputs,
num_hiddens, lr, sigma=0.01) with W1 (num_inputs, num_hiddens), b1, W2 (num_hiddens, num_outputs), b2, weights
N(0, sigma^2), biases zeros, forward = relu(flattened X @ W1 + b1) @ W2 + b2 (logits).

The truth is torch.relu and matmul in float64 of the same numbers. While this exercise is graded the lesson's relu
is the reference one (see autograder/notebook.py `program`).
"""
import pytest
import torch

from autograder.checks import Mistake, expect_backward, expect_close, expect_shape, first_matching_hint, seeded
from autograder.graders.common.scratch_models import (REGISTER_HINT, build, expect_follows_the_model,
                                                      expect_normal, expect_zero_bias, forward, param_grads, read,
                                                      set_params)

NAMES = ("W1", "b1", "W2", "b2")
FLATTEN_HINT = ("flatten each example first: X = X.reshape(-1, self.num_inputs), so that a batch of images "
                "(n, 1, 28, 28) becomes (n, num_inputs).")
FORWARD_HINT = ("forward(X) returns relu(X @ W1 + b1) @ W2 + b2 for X flattened to (n, num_inputs): the logits, "
                "with no softmax.")
SHAPE_HINT = ("W1 has shape (num_inputs, num_hiddens), b1 (num_hiddens,), W2 (num_hiddens, num_outputs), b2 "
              "(num_outputs,). The signature is the book's, MLPScratch(num_inputs, num_outputs, num_hiddens, lr): "
              "num_outputs comes before num_hiddens.")


def new(student, num_inputs, num_outputs, num_hiddens, sigma=None):
    kwargs = {} if sigma is None else {"sigma": sigma}
    call = (f"MLPScratch({num_inputs}, {num_outputs}, {num_hiddens}, lr=0.1"
            f"{'' if sigma is None else f', sigma={sigma}'})")
    return build(student, call, num_inputs, num_outputs, num_hiddens, 0.1, **kwargs), call


def error_hint(e) -> str:
    message = e.message.lower()
    if "device" in message:
        return REGISTER_HINT
    if "[-1, 784]" in message:
        return "do not hard-code 784: " + FLATTEN_HINT
    if any(w in message for w in ("shape", "size", "mat1", "dimension")):
        return FLATTEN_HINT + " " + SHAPE_HINT
    return ""


def truth(X, P, relu=torch.relu):
    Xf = X.reshape(X.shape[0], -1).double()
    return relu(Xf @ P["W1"].double() + P["b1"].double()) @ P["W2"].double() + P["b2"].double()


def diagnose(X, P, got) -> str:
    Xf = X.reshape(X.shape[0], -1).double()
    W1, b1, W2, b2 = (P[n].double() for n in NAMES)
    A = Xf @ W1 + b1
    O = torch.relu(A) @ W2 + b2
    return first_matching_hint(got, {
        "the activation is missing: H = relu(X @ W1 + b1); without it the two layers are one affine map.":
            lambda: A @ W2 + b2,
        "the output layer has no activation: return H @ W2 + b2 as it is (the logits), relu only the hidden layer.":
            lambda: torch.relu(O),
        "forward returns the logits; the softmax belongs to the loss (F.cross_entropy applies it).":
            lambda: torch.softmax(O, dim=1),
        "b1 goes inside the activation: H = relu(X @ W1 + b1), not relu(X @ W1) + b1.":
            lambda: (torch.relu(Xf @ W1) + b1) @ W2 + b2,
        "that is a sigmoid hidden layer; this MLP uses relu.": lambda: torch.sigmoid(A) @ W2 + b2,
        "a bias is missing: H = relu(X @ W1 + b1), output H @ W2 + b2.":
            [lambda: torch.relu(Xf @ W1) @ W2 + b2, lambda: torch.relu(A) @ W2],
    }, default=FORWARD_HINT)


def params(num_inputs, num_outputs, num_hiddens, device, seed):
    """Weights the grader sets: scaled so that about half the hidden units are active, biases that matter."""
    return {"W1": seeded(num_inputs, num_hiddens, seed=seed, device=device, scale=num_inputs ** -0.5),
            "b1": seeded(num_hiddens, seed=seed + 1, device=device, scale=0.5),
            "W2": seeded(num_hiddens, num_outputs, seed=seed + 2, device=device, scale=num_hiddens ** -0.5),
            "b2": seeded(num_outputs, seed=seed + 3, device=device, scale=0.5)}


def check_forward(student, device, sizes, X, seed):
    model, call = new(student, *sizes)
    P = params(*sizes, device, seed)
    set_params(model, P, call, SHAPE_HINT)
    what = f"model(X) for X of shape {tuple(X.shape)}, model = {call} with its parameters set by the grader"
    got = forward(model, X, what, error_hint).value
    expect_close(got, truth(X, P).float(), what, lambda: diagnose(X, P, got))


@pytest.mark.points(2.5)
def test_parameters_shapes_and_initial_values(student, device):
    for num_inputs, num_outputs, num_hiddens, sigma in [(200, 30, 60, 0.3), (100, 10, 50, None)]:
        model, call = new(student, num_inputs, num_outputs, num_hiddens, sigma)
        for name, shape in [("W1", (num_inputs, num_hiddens)), ("W2", (num_hiddens, num_outputs))]:
            W = read(model, name, call)
            expect_shape(W, shape, f"{name} of a new {call}", SHAPE_HINT)
            expect_normal(W, 0.01 if sigma is None else sigma, f"{name} of a new {call}")
        expect_zero_bias(read(model, "b1", call), num_hiddens, f"b1 of a new {call}", "b1")
        expect_zero_bias(read(model, "b2", call), num_outputs, f"b2 of a new {call}", "b2")


@pytest.mark.points(3)
def test_forward_on_images(student, device):
    X = seeded(4, 1, 28, 28, seed=10, device=device, uniform=True)   # pixels in [0, 1), as Fashion-MNIST's
    check_forward(student, device, (784, 10, 32), X, seed=11)
    X = seeded(3, 784, seed=12, device=device, uniform=True)          # already flat
    check_forward(student, device, (784, 10, 32), X, seed=13)


@pytest.mark.points(1)
def test_other_sizes_and_a_batch_of_one(student, device):
    check_forward(student, device, (24, 3, 7), seeded(5, 2, 3, 4, seed=20, device=device), seed=21)
    check_forward(student, device, (24, 3, 7), seeded(1, 24, seed=22, device=device), seed=23)


@pytest.mark.points(2.5)
def test_gradients_of_all_parameters(student, device):
    sizes = (12, 4, 6)
    model, call = new(student, *sizes)
    P = params(*sizes, device, seed=30)
    set_params(model, P, call, SHAPE_HINT)
    X = seeded(5, 1, 3, 4, seed=31, device=device)
    what = f"model(X) for X of shape {tuple(X.shape)}, model = {call}"
    G = seeded(5, sizes[1], seed=32, device=device)
    hint = ("build the output from X and the parameters with differentiable torch operations (no .detach(), .data "
            "or torch.no_grad() in forward), with W1, b1, W2 and b2 nn.Parameters.")

    def run():
        out = forward(model, X, what, error_hint, requires_grad=[0])
        expect_close(out.value, truth(X, P).float(), what, lambda: diagnose(X, P, out.value))
        return expect_backward(model, [G], what, hint)

    grads = run()
    got = param_grads(model, grads, NAMES, f"backpropagating through {what}", hint, rerun=run)
    leaves = {k: v.double().requires_grad_(True) for k, v in P.items()}
    Xr = X.double().requires_grad_(True)
    truth(Xr, leaves).backward(G.double())
    for name in NAMES:
        expect_close(got[name].reshape(leaves[name].shape).double(), leaves[name].grad,
                     f"the gradient of {what} with respect to {name}", hint, rtol=1e-4, atol=1e-6)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached X through {what}.", hint)
    expect_close(grads.args[0].double(), Xr.grad, f"the gradient of {what} with respect to X", hint,
                 rtol=1e-4, atol=1e-6)


@pytest.mark.points(1)
def test_parameters_are_registered_and_follow_the_model(student, device):
    model, call = new(student, 12, 5, 7)
    expect_follows_the_model(model, NAMES, torch.empty(3, 1, 3, 4, device="meta"), (3, 5), call, error_hint)
