"""Grader for ch08-BatchNorm: the `BatchNorm(num_features, num_dims)` layer of book 8.5.3.

The layer runs the instructor's `batch_norm` here (the other exercise's cell is the reference while this one
is graded), so what is checked is the layer's own part: parameters and their shapes and initial values, the
moving statistics it starts from and stores, the hyperparameters it passes, and gradients to its parameters.
The moving statistics are plain attributes, not in state_dict, so they are observed through prediction mode.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_not_used, seeded
from autograder.graders.common.batch_norm import BANNED, EPS, MOMENTUM, batch_stats, normalized, param_shape


def batches(num_features, num_dims, seed, count, device):
    """Minibatches far from zero mean and unit variance, so that every moving statistic is visible."""
    shape = (6, num_features) if num_dims == 2 else (3, num_features, 2, 3)
    return [seeded(*shape, seed=seed + i, device=device, scale=2.0 + i, shift=3.0 - i) for i in range(count)]


class Book:
    """What the book's layer holds after each call: the moving statistics and the output."""

    def __init__(self, num_features, num_dims, device):
        shape = param_shape(num_features, num_dims)
        self.gamma = torch.ones(shape, device=device)
        self.beta = torch.zeros(shape, device=device)
        self.moving_mean = torch.zeros(shape, device=device)
        self.moving_var = torch.ones(shape, device=device)

    def train(self, X):
        mean, var = batch_stats(X.double())
        Y = normalized(X.double(), self.gamma, self.beta, mean, var, EPS)
        self.moving_mean = (1 - MOMENTUM) * self.moving_mean + MOMENTUM * mean.float()
        self.moving_var = (1 - MOMENTUM) * self.moving_var + MOMENTUM * var.float()
        return Y.float()

    def predict(self, X):
        return normalized(X, self.gamma, self.beta, self.moving_mean, self.moving_var, EPS)


def new(student, num_features, num_dims):
    try:
        return student.new(num_features, num_dims, seed=0)
    except StudentError as e:
        as_mistake(e, f"BatchNorm({num_features}, num_dims={num_dims})",
                   "the constructor takes num_features and num_dims, as in the book." if e.type == "TypeError" else "")


STORE_HINT = ("forward must keep what batch_norm returns: Y, self.moving_mean, self.moving_var = batch_norm(...), "
              "called with eps=1e-5 and momentum=0.1, starting from moving_mean = zeros and moving_var = ones.")


@pytest.mark.points(2)
def test_parameters_shapes_and_initial_values(student, device):
    for num_features, num_dims in [(5, 2), (3, 4)]:
        layer = new(student, num_features, num_dims)
        state = layer.state()
        shape = param_shape(num_features, num_dims)
        for name, value in [("gamma", 1.0), ("beta", 0.0)]:
            if name not in state:
                raise Mistake(f"BatchNorm({num_features}, num_dims={num_dims}) has no parameter {name}.",
                              f"create self.{name} = nn.Parameter(...) in __init__ (the book's names).")
            expect_close(state[name], torch.full(shape, value, device=device),
                         f"{name} of a new BatchNorm({num_features}, num_dims={num_dims})",
                         f"{name} has shape {shape} (num_dims={num_dims}) and starts as "
                         f"{'ones' if value else 'zeros'}.")


@pytest.mark.points(2)
def test_training_forward(student, device):
    for num_features, num_dims, seed in [(5, 2, 0), (3, 4, 10)]:
        layer = new(student, num_features, num_dims)
        gamma = seeded(*param_shape(num_features, num_dims), seed=seed + 5, device=device, shift=1.0)
        beta = seeded(*param_shape(num_features, num_dims), seed=seed + 6, device=device)
        layer.set("gamma", gamma)
        layer.set("beta", beta)
        book = Book(num_features, num_dims, device)
        book.gamma, book.beta = gamma, beta
        X = batches(num_features, num_dims, seed, 1, device)[0]
        expect_close(layer(X), book.train(X), f"layer(X) in training mode for X of shape {tuple(X.shape)}",
                     "return the Y that batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var, "
                     "eps=1e-5, momentum=0.1) gives.")


@pytest.mark.points(1)
def test_new_layer_in_prediction_mode(student, device):
    for num_features, num_dims, seed in [(4, 2, 20), (3, 4, 30)]:
        layer = new(student, num_features, num_dims)
        X = batches(num_features, num_dims, seed, 1, device)[0]
        expect_close(layer.run(X, grad_enabled=False).value, Book(num_features, num_dims, device).predict(X),
                     f"a new layer's output under torch.no_grad() for X of shape {tuple(X.shape)}",
                     "before any training the moving statistics are moving_mean = zeros, moving_var = ones "
                     f"(shape {param_shape(num_features, num_dims)}), so prediction gives about X itself.")


@pytest.mark.points(2.5)
def test_moving_statistics_are_kept(student, device):
    for num_features, num_dims, seed in [(4, 2, 40), (3, 4, 50)]:
        layer, book = new(student, num_features, num_dims), Book(num_features, num_dims, device)
        train = batches(num_features, num_dims, seed, 3, device)
        for X in train:
            layer(X)
            book.train(X)
        X = batches(num_features, num_dims, seed + 7, 1, device)[0]
        call = (f"the output under torch.no_grad() after 3 training steps (X of shape {tuple(X.shape)}), which "
                "uses the moving statistics")
        expect_close(layer.run(X, grad_enabled=False).value, book.predict(X), call, STORE_HINT)
        # prediction changes nothing: a second prediction after another one gives the same
        layer.run(train[0], grad_enabled=False)
        expect_close(layer.run(X, grad_enabled=False).value, book.predict(X),
                     call + ", asked again after another prediction",
                     "only training (autograd on) updates the moving statistics; batch_norm returns them "
                     "unchanged in prediction mode.")


@pytest.mark.points(1.5)
def test_parameter_gradients(student, device):
    for num_features, num_dims, seed in [(4, 2, 60), (3, 4, 70)]:
        layer = new(student, num_features, num_dims)
        X = batches(num_features, num_dims, seed, 1, device)[0]
        G = seeded(*X.shape, seed=seed + 3, device=device)
        layer.run(X, requires_grad=[0])
        grads = expect_backward(layer, [G], f"layer(X) for X of shape {tuple(X.shape)}",
                                "forward must return the Y computed by batch_norm from X and the parameters.")
        Xr = X.clone().requires_grad_(True)
        shape = param_shape(num_features, num_dims)
        gamma = torch.ones(shape, device=device, requires_grad=True)
        beta = torch.zeros(shape, device=device, requires_grad=True)
        mean, var = batch_stats(Xr)
        normalized(Xr, gamma, beta, mean, var, EPS).backward(G)
        for name, want in [("gamma", gamma.grad), ("beta", beta.grad)]:
            got = grads.params.get(name)
            if got is None:
                raise Mistake(f"no gradient reached the layer's parameter {name} (parameters with gradients: "
                              f"{sorted(k for k, v in grads.params.items() if v is not None) or 'none'}).",
                              f"make {name} an nn.Parameter attribute named {name}, and pass self.{name} "
                              "itself to batch_norm.")
            expect_close(got, want, f"the gradient of the layer's {name} (X of shape {tuple(X.shape)})",
                         f"pass self.{name} to batch_norm unchanged.")
        expect_close(grads.args[0], Xr.grad, f"the gradient with respect to X of layer(X) (shape {tuple(X.shape)})",
                     "forward must return the Y computed by batch_norm from X.")


@pytest.mark.points(1)
def test_runs_batch_norm_not_the_library(student, device):
    for num_features, num_dims, seed in [(4, 2, 80), (3, 4, 90)]:
        layer = new(student, num_features, num_dims)
        X = batches(num_features, num_dims, seed, 1, device)[0]
        out = layer.run(X, watch=BANNED)
        expect_close(out.value, Book(num_features, num_dims, device).train(X),
                     f"layer(X) in training mode for X of shape {tuple(X.shape)}", STORE_HINT)
        expect_not_used(out.seen, BANNED, "BatchNorm's forward",
                        "call batch_norm (the function of the first task), not nn.BatchNorm1d/2d or F.batch_norm.")
