"""Grader for ch08-Residual: the block `Residual(num_channels, use_1x1conv=False, strides=1)` of book 8.6.2:
conv 3x3 (stride) -> BN -> ReLU -> conv 3x3 -> BN, plus the input (through a 1x1 conv with the same stride when
use_1x1conv), then a ReLU.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights; the
student's layers are found by their shapes (the two batch norms, and the two 3x3 convs when they have the same
shape, in either order), whatever they are called. Batch norm is checked in both modes: training-mode passes
update the running statistics as torch's layers do, evaluation mode normalizes with them."""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (Matched, ResidualBlock, channel_error_hint, check_batch_norm,
                                              check_gradients, check_parameter_count, check_shapes, conv_out,
                                              diagnosis, hint_for_shape)

BLOCK_HINT = ("Y = relu(bn1(conv1(X))), Y = bn2(conv2(Y)), then relu(Y + X), where conv1 and conv2 are 3x3 with "
              "padding=1 (conv1 with stride=strides), and X goes through conv3, a 1x1 conv with stride=strides, "
              "when use_1x1conv=True.")
SHORTCUT_CHANNELS = ("the shortcut must come out with num_channels channels: with use_1x1conv=True, X goes through "
                     "nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) before it is added.")
SHORTCUT_STRIDE = ("the shortcut and the main path must shrink alike: conv1 and the shortcut's 1x1 conv both use "
                   "stride=strides; conv2 keeps stride 1.")


def call(num_channels, use_1x1conv=False, strides=1):
    return (f"Residual({num_channels}" + (", use_1x1conv=True" if use_1x1conv else "")
            + (f", strides={strides}" if strides != 1 else "") + ")")


def args_of(num_channels, use_1x1conv=False, strides=1):
    """What the grader passes: the constructor's arguments as the book's examples write them."""
    return (num_channels,), ({"use_1x1conv": True} if use_1x1conv else {}) | ({"strides": strides} if strides != 1
                                                                               else {})


def error_hint(message):
    if "must match the size of tensor b" in message and "dimension 1" in message:
        return SHORTCUT_CHANNELS
    if "must match the size of tensor b" in message:
        return SHORTCUT_STRIDE
    return channel_error_hint(message) or BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    c, s, (n, _, h, w) = args[0], kwargs.get("strides", 1), shape
    return hint_for_shape(got, {
        "the stride is ignored: conv1 and the shortcut's 1x1 conv use stride=strides.": (n, c, h, w) if s > 1 else None,
        "the 3x3 convolutions lack padding=1, so the block shrinks the image.": (
            n, c, conv_out(conv_out(h, 3, s), 3), conv_out(conv_out(w, 3, s), 3)),
    }, default=f"the output has num_channels={c} channels, and height and width floor((h - 1) / strides) + 1: "
               f"{BLOCK_HINT}")


@pytest.mark.points(2)
def test_output_shapes(student, device):
    cases = [((3,), (4, 3, 6, 6)), ((6, True, 2), (4, 3, 6, 6)), ((4, True, 2), (2, 4, 7, 5)), ((5, True), (2, 3, 4, 4)),
             ((2, True, 3), (2, 2, 7, 8))]
    rows = []
    for a, shape in cases:
        args, kwargs = args_of(*a)
        s = kwargs.get("strides", 1)
        rows.append((call(*a), args, kwargs, shape, (shape[0], a[0], conv_out(shape[2], 3, s, 1),
                                                     conv_out(shape[3], 3, s, 1))))
    check_shapes(student, rows, device, shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for a, in_channels in [((6, True, 2), 3), ((4,), 4), ((3, True), 3)]:
        args, kwargs = args_of(*a)
        check_parameter_count(student, call(*a), args, kwargs, (2, in_channels, 6, 6), ResidualBlock(in_channels, *a),
                              device, "the book's block holds conv1 (3x3), bn1, conv2 (3x3) and bn2, two batch norms "
                              "of their own (nn.LazyBatchNorm2d(), affine, with running statistics), and conv3 (1x1, "
                              "no batch norm after it) only when use_1x1conv=True.", error_hint)


diagnose = diagnosis({
    "the shortcut is missing: add the input X (or conv3(X)) to Y before the last ReLU.": {"variant": "no shortcut"},
    "the ReLU comes before the addition: the block returns relu(Y + X), the shortcut added before the last ReLU.":
        {"variant": "relu before add"},
    "the last ReLU is missing: the block returns relu(Y + X).": {"variant": "no final relu"},
    "batch norm and ReLU are swapped in the first step: relu(bn1(conv1(X))), batch norm right after its conv.":
        {"variant": "bn after relu"},
}, default=BLOCK_HINT)


def X_of(shape, seed, device):
    return seeded(*shape, seed=seed, dtype=torch.float64, device=device, shift=0.2)


@pytest.mark.points(2.5)
def test_values_with_the_same_weights(student, device):
    for n, (a, shape) in enumerate([((4,), (2, 4, 5, 5)), ((6, True, 2), (3, 3, 6, 6)), ((3, True), (2, 5, 4, 3))]):
        args, kwargs = args_of(*a)
        Matched(student, call(*a), args, kwargs, ResidualBlock(shape[1], *a), X_of(shape, 10 + n, device), device,
                seed=n, error_hint=error_hint, diagnose=diagnose, structure_hint=BLOCK_HINT)


@pytest.mark.points(1.5)
def test_batch_norm_training_and_evaluation(student, device):
    a, shape = (5, True, 2), (3, 3, 6, 6)
    args, kwargs = args_of(*a)
    m = Matched.lenient(student, call(*a), args, kwargs, ResidualBlock(3, *a), X_of(shape, 20, device), device, seed=3,
                error_hint=error_hint, structure_hint=BLOCK_HINT)
    check_batch_norm(m, [X_of(shape, 21, device), X_of(shape, 22, device)], X_of((2, 3, 6, 6), 23, device),
                     lambda layer: "in training mode each batch norm updates its running statistics (torch's "
                                   "nn.LazyBatchNorm2d() with its defaults, momentum 0.1); bn1 normalizes conv1's "
                                   "output and bn2 conv2's.")


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    a, shape = (4, True), (2, 3, 5, 5)
    args, kwargs = args_of(*a)
    X = X_of(shape, 30, device)
    m = Matched.lenient(student, call(*a), args, kwargs, ResidualBlock(3, *a), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
