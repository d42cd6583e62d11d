"""Grader for ch08-DenseBlock: the block `DenseBlock(num_convs, num_channels)` of book 8.7.2: num_convs conv blocks
(batch norm, ReLU, 3x3 conv), each fed the concatenation on channels of the block's input and every earlier conv
block's output, its own output concatenated after them: in_channels + num_convs * num_channels channels out.

While this exercise is graded, the lesson's conv_block is the instructor's (a mistake there costs nothing here).
The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights and
running statistics; the student's layers are found by their shapes, whatever they are called."""
import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (DenseBlockRef, Matched, check_batch_norm, check_gradients,
                                              check_parameter_count, check_shapes, diagnosis, hint_for_shape)

BLOCK_HINT = ("make num_convs conv_block(num_channels) in __init__; in forward, for each one: Y = blk(X), then "
              "X = torch.cat((X, Y), dim=1), and return X.")
CAT_AXIS = ("concatenate on the channel dimension: torch.cat((X, Y), dim=1); dimension 0 is the batch, 2 and 3 are "
            "height and width.")


def call(num_convs, num_channels):
    return f"DenseBlock({num_convs}, {num_channels})"


def error_hint(message):
    if "Sizes of tensors must match except in dimension" in message and "dimension 1" not in message:
        return CAT_AXIS
    if "running_mean should contain" in message or "channels, but got" in message:
        return ("each conv block reads everything so far, the block's input and all earlier outputs: X = "
                "torch.cat((X, Y), dim=1) after every conv block, and the next block gets that X.")
    if "must match the size of tensor b" in message:
        return "concatenate the input and the conv blocks' outputs (torch.cat); do not add them."
    return BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    (k, c), (n, i, h, w) = args, shape
    return hint_for_shape(got, {
        "the outputs are added to the input: a dense block concatenates them, torch.cat((X, Y), dim=1), so the "
        "channels grow by num_channels with every conv block.": (n, i, h, w),
        "only the last conv block's output is returned: return the concatenation X, which holds the input and "
        "every conv block's output.": (n, c, h, w),
        "only the conv blocks' outputs are returned: the block's input is part of the result, "
        "torch.cat((X, Y), dim=1) starting from X itself.": (n, k * c, h, w),
        CAT_AXIS + " Yours stacked on the batch.": (n * 2 ** k, i, h, w),
    }, default=f"the block has in_channels + num_convs * num_channels = {i + k * c} channels and keeps batch, "
               f"height and width: {BLOCK_HINT}")


@pytest.mark.points(2.5)
def test_output_shapes(student, device):
    cases = [((2, 10), (4, 3, 8, 8)),    # the book's example
             ((2, 3), (2, 3, 4, 4)),     # as many channels in as each block adds: adding instead still runs
             ((3, 2), (2, 2, 5, 5)), ((1, 4), (3, 4, 3, 6)), ((4, 1), (2, 1, 1, 2))]
    check_shapes(student, [(call(*a), a, {}, shape, (shape[0], shape[1] + a[0] * a[1], *shape[2:]))
                           for a, shape in cases], device, shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for args, in_channels in [((3, 2), 2), ((2, 5), 3)]:
        check_parameter_count(student, call(*args), args, {}, (2, in_channels, 4, 4),
                              DenseBlockRef(args[0], in_channels, args[1]), device,
                              "conv block i reads in_channels + i * num_channels channels (everything concatenated "
                              "so far), so its batch norm has that many channels and its 3x3 conv maps them to "
                              "num_channels; make num_convs conv blocks, each used once.", error_hint)


diagnose = diagnosis({
    "each output is concatenated before the input: torch.cat((X, Y), dim=1), what came in first, the new channels "
    "after it (the book's order).": {"variant": "output first"},
}, default=BLOCK_HINT)


def X_of(shape, seed, device):
    return seeded(*shape, seed=seed, dtype=torch.float64, device=device, shift=0.2)


@pytest.mark.points(2.5)
def test_values_with_the_same_weights(student, device):
    for n, (args, shape) in enumerate([((2, 3), (2, 3, 4, 4)), ((3, 2), (2, 2, 5, 3)), ((1, 4), (3, 5, 3, 3))]):
        Matched(student, call(*args), args, {}, DenseBlockRef(args[0], shape[1], args[1]),
                X_of(shape, 10 + n, device), device, seed=n, error_hint=error_hint, diagnose=diagnose,
                structure_hint=BLOCK_HINT)


@pytest.mark.points(1)
def test_batch_norm_training_and_evaluation(student, device):
    args, shape = (2, 3), (3, 2, 4, 4)
    m = Matched.lenient(student, call(*args), args, {}, DenseBlockRef(2, 2, 3), X_of(shape, 20, device), device, seed=3,
                error_hint=error_hint, structure_hint=BLOCK_HINT)
    check_batch_norm(m, [X_of(shape, 21, device), X_of(shape, 22, device)], X_of((2, 2, 4, 4), 23, device),
                     lambda layer: "in training mode every conv block's batch norm updates its running statistics: "
                                   "run each conv block once per forward pass, in training mode.")


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    args = (3, 2)
    X = X_of((2, 3, 4, 4), 30, device)
    m = Matched.lenient(student, call(*args), args, {}, DenseBlockRef(3, 3, 2), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
