"""Grader for ch08-nin_block: `nin_block(out_channels, kernel_size, strides, padding)` (book 8.3.1) returns a
convolution with the given kernel, stride and padding, then two 1x1 convolutions, a ReLU after each of the three.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights; the
student's layers are found by their shapes (the two 1x1 convolutions in either order), whatever they are called."""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (Matched, NiNBlock, channel_error_hint, check_gradients,
                                              check_parameter_count, check_shapes, conv_out, diagnosis,
                                              hint_for_shape)

BLOCK_HINT = ("nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(), then twice "
              "nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU().")
ONLY_FIRST = ("only the first convolution takes kernel_size, strides and padding; the two 1x1 convolutions keep "
              "stride 1 and no padding (nn.LazyConv2d(out_channels, kernel_size=1)).")


def call(out_channels, kernel_size, strides, padding):
    return f"nin_block({out_channels}, {kernel_size}, {strides}, {padding})"


SWAPPED = ("strides and padding are swapped: nn.LazyConv2d(out_channels, kernel_size, stride=strides, "
           "padding=padding), in the order of the book's signature.")


def error_hint(message):
    if "non-positive stride" in message:
        return SWAPPED
    if "Kernel size can't be greater" in message or "Output size is too small" in message:
        return ONLY_FIRST
    return channel_error_hint(message) or BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    (c, k, s, p), (n, _, h, w) = args, shape

    def side(f):
        return (n, c, f(h), f(w))

    def first(x):
        return conv_out(x, k, s, p)
    return hint_for_shape(got, {
        "the 1x1 convolutions move with the stride too: " + ONLY_FIRST: side(
            lambda x: conv_out(conv_out(first(x), 1, s), 1, s)),
        "the 1x1 convolutions have the stride and the padding too: " + ONLY_FIRST: side(
            lambda x: conv_out(conv_out(first(x), 1, s, p), 1, s, p)),
        "the 1x1 convolutions are padded: " + ONLY_FIRST: side(lambda x: first(x) + 4 * p),
        "the 1x1 convolutions have the first convolution's kernel size: " + ONLY_FIRST: side(
            lambda x: conv_out(conv_out(first(x), k, s, p), k, s, p)),
        SWAPPED: side(lambda x: conv_out(x, k, p, s)) if p else None,
        "the stride is ignored: the first convolution moves by strides pixels.": side(lambda x: conv_out(x, k, 1, p)),
    }, default=f"the output has out_channels={c} channels and the size of the first convolution, "
               f"floor((h + 2 * padding - kernel_size) / strides) + 1: {BLOCK_HINT}")


@pytest.mark.points(3)
def test_output_shapes(student, device):
    cases = [((3, 3, 3, 1), (2, 2, 10, 6)), ((8, 5, 2, 2), (2, 3, 16, 16)), ((6, 3, 1, 1), (1, 2, 7, 9)),
             ((5, 3, 2, 0), (2, 3, 9, 8)), ((4, 11, 4, 0), (2, 1, 35, 35))]
    check_shapes(student, [(call(*a), a, {}, shape, (shape[0], a[0], conv_out(shape[2], a[1], a[2], a[3]),
                                                     conv_out(shape[3], a[1], a[2], a[3])))
                           for a, shape in cases], device, shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for args, in_channels in [((8, 5, 2, 2), 3), ((6, 3, 1, 1), 4)]:
        check_parameter_count(student, call(*args), args, {}, (2, in_channels, 12, 12), NiNBlock(in_channels, *args),
                              device, "a NiN block has three convolutions with bias: kernel_size x kernel_size from "
                              "the input's channels to out_channels, then two 1x1 from out_channels to "
                              "out_channels.", error_hint)


diagnose = diagnosis({
    "the ReLU after the last 1x1 convolution is missing: a ReLU follows each of the three convolutions.":
        {"relus": (True, True, False)},
    "the ReLU after the first 1x1 convolution is missing: a ReLU follows each of the three convolutions.":
        {"relus": (True, False, True)},
    "the ReLU after the first convolution is missing: a ReLU follows each of the three convolutions.":
        {"relus": (False, True, True)},
    "the ReLUs are missing: a ReLU follows each of the three convolutions.": {"relus": (False, False, False)},
    "there is only one ReLU, at the end: a ReLU follows each of the three convolutions.":
        {"relus": (False, False, True)},
}, default=BLOCK_HINT)


@pytest.mark.points(3)
def test_values_with_the_same_weights(student, device):
    for n, (args, shape) in enumerate([((6, 3, 2, 1), (2, 3, 9, 9)), ((4, 5, 1, 2), (1, 2, 6, 7)),
                                       ((3, 2, 2, 0), (3, 4, 6, 5))]):
        X = seeded(*shape, seed=10 + n, dtype=torch.float64, device=device, shift=0.2)
        Matched(student, call(*args), args, {}, NiNBlock(shape[1], *args), X, device, seed=n, error_hint=error_hint,
                diagnose=diagnose, structure_hint=BLOCK_HINT)


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    X = seeded(2, 3, 7, 7, seed=30, dtype=torch.float64, device=device, shift=0.2)
    args = (4, 3, 2, 1)
    m = Matched.lenient(student, call(*args), args, {}, NiNBlock(3, *args), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
