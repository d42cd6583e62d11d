"""Grader for ch08-transition_block: `transition_block(num_channels)` (book 8.7.3) returns DenseNet's transition
layer: batch norm, ReLU, a 1x1 convolution to num_channels channels, then 2x2 average pooling with stride 2.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights and
running statistics; the student's layers are found by their shapes, whatever they are called. (Average pooling
and a 1x1 convolution are both linear and commute, so pooling before the convolution is a sound, cheaper
variant and gets full marks.)"""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (Matched, TransitionBlock, channel_error_hint, check_batch_norm,
                                              check_gradients, check_parameter_count, check_shapes, diagnosis,
                                              hint_for_shape)

BLOCK_HINT = ("nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=1), "
              "nn.AvgPool2d(kernel_size=2, stride=2)).")


def call(num_channels):
    return f"transition_block({num_channels})"


def error_hint(message):
    return channel_error_hint(message) or BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    (c,), (n, _, h, w) = args, shape
    return hint_for_shape(got, {
        "the pooling is missing: the transition layer ends with nn.AvgPool2d(kernel_size=2, stride=2), which halves "
        "height and width.": (n, c, h, w),
        "the pooling moves by 1 pixel: nn.AvgPool2d(kernel_size=2, stride=2).": (n, c, h - 1, w - 1),
        "the convolution is 3x3 without padding: a transition layer's convolution is 1x1.": (
            n, c, (h - 2) // 2, (w - 2) // 2),
    }, default=f"the block has num_channels={c} channels and halves height and width (rounding down): {BLOCK_HINT}")


@pytest.mark.points(2)
def test_output_shapes(student, device):
    cases = [((10,), (4, 23, 8, 8)), ((3,), (2, 5, 7, 9)), ((2,), (2, 4, 2, 3))]
    check_shapes(student, [(call(*a), a, {}, shape, (shape[0], a[0], shape[2] // 2, shape[3] // 2))
                           for a, shape in cases], device, shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for c, in_channels in [(4, 6), (10, 23)]:
        check_parameter_count(student, call(c), (c,), {}, (2, in_channels, 4, 4), TransitionBlock(in_channels, c),
                              device, "the block holds a batch norm over the input's channels (2 parameters per "
                              "channel, and running statistics) and a 1x1 conv with bias to num_channels; "
                              "ReLU and pooling have no parameters.", error_hint)


diagnose = diagnosis({
    "that is max-pooling: DenseNet's transition layer averages, nn.AvgPool2d(kernel_size=2, stride=2).":
        {"variant": "max pool"},
    "the ReLU is missing: batch norm, ReLU, 1x1 convolution, average pooling.": {"variant": "no relu"},
    "the ReLU comes after the convolution: batch norm, ReLU, then the 1x1 convolution (pre-activation order).":
        {"variant": "relu after conv"},
}, default=BLOCK_HINT)


def X_of(shape, seed, device):
    return seeded(*shape, seed=seed, dtype=torch.float64, device=device, shift=0.2)


@pytest.mark.points(2)
def test_values_with_the_same_weights(student, device):
    for n, (c, shape) in enumerate([(3, (2, 5, 6, 6)), (4, (3, 4, 5, 7)), (2, (2, 3, 4, 2))]):
        Matched(student, call(c), (c,), {}, TransitionBlock(shape[1], c), X_of(shape, 10 + n, device), device,
                seed=n, error_hint=error_hint, diagnose=diagnose, structure_hint=BLOCK_HINT)


@pytest.mark.points(2)
def test_batch_norm_training_and_evaluation(student, device):
    shape = (3, 4, 6, 6)
    m = Matched.lenient(student, call(3), (3,), {}, TransitionBlock(4, 3), X_of(shape, 20, device), device, seed=3,
                error_hint=error_hint, structure_hint=BLOCK_HINT)
    check_batch_norm(m, [X_of(shape, 21, device), X_of(shape, 22, device)], X_of((2, 4, 6, 6), 23, device),
                     lambda layer: "in training mode the batch norm updates its running statistics: "
                                   "nn.LazyBatchNorm2d() with its defaults (momentum 0.1), applied to the block's "
                                   "input.")


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    X = X_of((2, 5, 4, 4), 30, device)
    m = Matched.lenient(student, call(3), (3,), {}, TransitionBlock(5, 3), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
