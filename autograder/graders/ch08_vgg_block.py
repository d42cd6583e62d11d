"""Grader for ch08-vgg_block: `vgg_block(num_convs, out_channels)` (book 8.2.1) returns a block of num_convs 3x3
convolutions with padding 1, each followed by a ReLU, then a 2x2 max-pooling with stride 2.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights; the
student's layers are found by their shapes, whatever they are called."""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (Matched, VGGBlock, check_gradients, check_parameter_count,
                                              channel_error_hint, check_shapes, diagnosis, hint_for_shape)

CONV_HINT = ("each of the num_convs layers is nn.LazyConv2d(out_channels, kernel_size=3, padding=1), each followed by "
             "nn.ReLU(); then one nn.MaxPool2d(kernel_size=2, stride=2).")
PADDING_HINT = ("the 3x3 convolutions need padding=1 so that they keep height and width; only the pooling halves "
                "them.")


def error_hint(message):
    if "Output size is too small" in message:
        return ("the block shrinks its input faster than it should: the convolutions keep height and width "
                "(padding=1), and one max-pooling at the end halves them.")
    return channel_error_hint(message) or PADDING_HINT


def call(num_convs, out_channels):
    return f"vgg_block({num_convs}, {out_channels})"


def shape_hint(args, kwargs, shape, got):
    (num_convs, out_channels), (n, _, h, w) = args, shape
    return hint_for_shape(got, {
        "the max-pooling is missing: end the block with nn.MaxPool2d(kernel_size=2, stride=2), which halves height "
        "and width.": (n, out_channels, h, w),
        "the pooling moves by 1 pixel: nn.MaxPool2d(kernel_size=2, stride=2) (nn.MaxPool2d(2) sets the stride to 2 "
        "too).": (n, out_channels, h - 1, w - 1),
        PADDING_HINT: (n, out_channels, (h - 2 * num_convs) // 2, (w - 2 * num_convs) // 2),
        "there is a max-pooling after every convolution: a VGG block has one, at its end.":
            (n, out_channels, h // 2 ** num_convs, w // 2 ** num_convs),
    }, default=f"the block keeps the batch, has out_channels={out_channels} channels and halves height and width "
               f"(rounding down): {CONV_HINT}")


@pytest.mark.points(3)
def test_output_shapes(student, device):
    check_shapes(student, [
        (call(1, 4), (1, 4), {}, (2, 3, 8, 8), (2, 4, 4, 4)),
        (call(2, 6), (2, 6), {}, (1, 1, 11, 11), (1, 6, 5, 5)),      # a batch of one, odd size: rounds down
        (call(3, 5), (3, 5), {}, (2, 2, 12, 10), (2, 5, 6, 5)),
        (call(2, 3), (2, 3), {}, (3, 4, 2, 2), (3, 3, 1, 1)),         # 2x2 only works with padding
    ], device, shape_hint, error_hint=error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for (num_convs, out_channels), in_channels in [((2, 8), 3), ((3, 4), 5)]:
        check_parameter_count(student, call(num_convs, out_channels), (num_convs, out_channels), {},
                              (2, in_channels, 6, 6), VGGBlock(num_convs, in_channels, out_channels), device,
                              "a VGG block has num_convs 3x3 convolutions (with bias), the first from the input's "
                              "channels to out_channels, the others from out_channels to out_channels; ReLU and "
                              "pooling have no parameters.", error_hint)


diagnose = diagnosis({
    "the ReLUs are missing: put nn.ReLU() after each convolution.": {"relu": None},
    "there is a ReLU after the last convolution only: every convolution is followed by its own nn.ReLU().":
        {"relu": "last"},
    "that is average pooling: VGG uses nn.MaxPool2d(kernel_size=2, stride=2).": {"pool": "avg"},
}, default=CONV_HINT)


@pytest.mark.points(3)
def test_values_with_the_same_weights(student, device):
    for n, (num_convs, out_channels, shape) in enumerate([(2, 4, (2, 3, 8, 8)), (1, 3, (1, 2, 5, 7)),
                                                          (3, 2, (2, 2, 4, 6))]):
        X = seeded(*shape, seed=10 + n, dtype=torch.float64, device=device, shift=0.2)
        Matched(student, call(num_convs, out_channels), (num_convs, out_channels), {},
                VGGBlock(num_convs, shape[1], out_channels), X, device, seed=n, error_hint=error_hint,
                diagnose=diagnose, structure_hint=CONV_HINT)


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    X = seeded(2, 3, 6, 6, seed=30, dtype=torch.float64, device=device, shift=0.2)
    m = Matched.lenient(student, call(2, 4), (2, 4), {}, VGGBlock(2, 3, 4), X, device, seed=5, error_hint=error_hint,
                structure_hint=CONV_HINT)
    check_gradients(m, X)
