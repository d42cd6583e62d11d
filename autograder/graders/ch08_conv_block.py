"""Grader for ch08-conv_block: `conv_block(num_channels)` (book 8.7.2) returns DenseNet's pre-activation block:
batch norm, ReLU, then a 3x3 convolution (padding 1) to num_channels channels.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights and
running statistics; the student's layers are found by their shapes, whatever they are called. Batch norm is
checked in both modes: training-mode passes update the running statistics as torch's layer does, evaluation
mode normalizes with them."""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (ConvBlock, Matched, channel_error_hint, check_batch_norm,
                                              check_gradients, check_parameter_count, check_shapes, diagnosis,
                                              hint_for_shape)

BLOCK_HINT = ("nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, "
              "padding=1)): batch norm first, on the input's channels, then ReLU, then the convolution.")
ORDER_HINT = ("the order is batch norm, ReLU, convolution (DenseNet's 'pre-activation' order, book 8.7.2): the "
              "batch norm normalizes the block's input, so it has the input's channels.")


def call(num_channels):
    return f"conv_block({num_channels})"


def error_hint(message):
    if "Kernel size can't be greater" in message:
        return "the 3x3 convolution needs padding=1, so that it keeps height and width."
    return channel_error_hint(message) or BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    (c,), (n, _, h, w) = args, shape
    return hint_for_shape(got, {
        "the 3x3 convolution needs padding=1, so that it keeps height and width.": (n, c, h - 2, w - 2),
    }, default=f"the block keeps batch, height and width, and has num_channels={c} channels: {BLOCK_HINT}")


@pytest.mark.points(2)
def test_output_shapes(student, device):
    cases = [((5,), (2, 3, 6, 6)), ((2,), (3, 4, 5, 7)), ((6,), (2, 1, 1, 3))]
    check_shapes(student, [(call(*a), a, {}, shape, (shape[0], a[0], *shape[2:])) for a, shape in cases], device,
                 shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for c, in_channels in [(5, 3), (4, 4), (2, 6)]:
        check_parameter_count(student, call(c), (c,), {}, (2, in_channels, 5, 5), ConvBlock(in_channels, c), device,
                              "the block holds a batch norm over the input's channels (2 parameters per channel, and "
                              "running statistics) and a 3x3 conv with bias to num_channels; " + ORDER_HINT,
                              error_hint)


diagnose = diagnosis({
    "the ReLU is missing: batch norm, ReLU, convolution.": {"order": "bn conv"},
    ORDER_HINT + " Yours convolves first.": [{"order": "conv bn relu"}, {"order": "conv relu bn"}],
    ORDER_HINT + " Yours applies the ReLU before the batch norm.": {"order": "relu bn conv"},
    ORDER_HINT + " Yours applies the ReLU after the convolution.": {"order": "bn conv relu"},
}, default=BLOCK_HINT)


def X_of(shape, seed, device):
    return seeded(*shape, seed=seed, dtype=torch.float64, device=device, shift=0.2)


@pytest.mark.points(2)
def test_values_with_the_same_weights(student, device):
    for n, (c, shape) in enumerate([(4, (2, 4, 5, 5)), (3, (2, 2, 6, 4)), (2, (3, 5, 3, 3))]):
        Matched(student, call(c), (c,), {}, ConvBlock(shape[1], c), X_of(shape, 10 + n, device), device, seed=n,
                error_hint=error_hint, diagnose=diagnose, structure_hint=BLOCK_HINT)


@pytest.mark.points(2)
def test_batch_norm_training_and_evaluation(student, device):
    shape = (3, 2, 5, 5)
    m = Matched.lenient(student, call(3), (3,), {}, ConvBlock(2, 3), X_of(shape, 20, device), device, seed=3,
                error_hint=error_hint, structure_hint=BLOCK_HINT)
    check_batch_norm(m, [X_of(shape, 21, device), X_of(shape, 22, device)], X_of((2, 2, 5, 5), 23, device),
                     lambda layer: "in training mode the batch norm updates its running statistics: "
                                   "nn.LazyBatchNorm2d() with its defaults (momentum 0.1), applied to the block's "
                                   "input.")


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    X = X_of((2, 3, 5, 5), 30, device)
    m = Matched.lenient(student, call(4), (4,), {}, ConvBlock(3, 4), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
