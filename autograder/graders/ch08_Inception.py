"""Grader for ch08-Inception: the block `Inception(c1, c2, c3, c4)` of book 8.4.1: four branches on the same input,
concatenated on the channel dimension in the book's order, c1 + c2[1] + c3[1] + c4 channels in all.

The truth is the same block built from torch's own layers (common/blocks.py) holding the student's weights; the
student's layers are found by their shapes, whatever they are called."""
import itertools

import pytest
import torch

from autograder.checks import seeded
from autograder.graders.common.blocks import (InceptionBlock, Matched, channel_error_hint, check_gradients,
                                              check_parameter_count, check_shapes, diagnosis, hint_for_shape)

BLOCK_HINT = ("branch 1: 1x1 conv (c1); branch 2: 1x1 conv (c2[0]), 3x3 conv with padding=1 (c2[1]); branch 3: 1x1 "
              "conv (c3[0]), 5x5 conv with padding=2 (c3[1]); branch 4: 3x3 max-pooling with stride=1 and padding=1, "
              "then a 1x1 conv (c4); a ReLU after every conv; torch.cat((b1, b2, b3, b4), dim=1).")
KEEP_SIZE = ("every branch must keep height and width, so that the four can be concatenated: padding=1 for the 3x3 "
             "conv, padding=2 for the 5x5 conv, nn.MaxPool2d(kernel_size=3, stride=1, padding=1) for the pooling.")
CAT_AXIS = ("concatenate the branches on the channel dimension: torch.cat((b1, b2, b3, b4), dim=1); dimension 0 is "
            "the batch, 2 and 3 are height and width.")


def call(c1, c2, c3, c4):
    return f"Inception({c1}, {c2}, {c3}, {c4})"


def error_hint(message):
    if "Sizes of tensors must match except in dimension 1" in message:
        return KEEP_SIZE
    if "Sizes of tensors must match except in dimension" in message:
        return CAT_AXIS
    if "Kernel size can't be greater" in message or "Output size is too small" in message:
        return KEEP_SIZE
    return channel_error_hint(message) or BLOCK_HINT


def shape_hint(args, kwargs, shape, got):
    (c1, c2, c3, c4), (n, _, h, w) = args, shape
    sizes = [c1, c2[1], c3[1], c4]
    total = sum(sizes)
    missing = {}
    for i, (which, name) in enumerate(zip(["first", "second", "third", "fourth"], ["c1", "c2[1]", "c3[1]", "c4"])):
        if sizes.count(sizes[i]) == 1:
            missing[f"the {which} branch (its {name} channels) is missing from the output."] = (n, total - sizes[i], h, w)
        else:
            missing[f"one branch ({sizes[i]} channels) is missing from the output: concatenate all four."] = (
                n, total - sizes[i], h, w)
    return hint_for_shape(got, {
        CAT_AXIS + " Yours stacked them on the batch.": (4 * n, c1, h, w),
        CAT_AXIS + " Yours stacked them on the height.": (n, c1, 4 * h, w),
        CAT_AXIS + " Yours stacked them on the width.": (n, c1, h, 4 * w),
        **missing,
        "the 3x3 and 5x5 convs end with c2[0] and c3[0] channels: their outputs are c2[1] and c3[1] (the first "
        "number of each pair is the 1x1 reduction's).": (n, c1 + c2[0] + c3[0] + c4, h, w),
    }, default=f"the output keeps batch, height and width, with c1 + c2[1] + c3[1] + c4 = {total} channels: "
               f"{BLOCK_HINT}")


@pytest.mark.points(3)
def test_output_shapes(student, device):
    cases = [((2, (3, 2), (1, 2), 2), (2, 3, 4, 4)),       # every branch 2 channels: a wrong axis still runs
             ((2, (3, 4), (2, 5), 3), (2, 3, 8, 8)),
             ((64, (96, 128), (16, 32), 32), (1, 8, 5, 5)),  # the book's first Inception, batch of one
             ((1, (2, 3), (1, 2), 4), (2, 4, 1, 1)),         # 1x1 images: only padding keeps them
             ((3, (2, 2), (2, 3), 1), (2, 2, 7, 6))]
    check_shapes(student, [(call(*a), a, {}, shape, (shape[0], a[0] + a[1][1] + a[2][1] + a[3], *shape[2:]))
                           for a, shape in cases], device, shape_hint, error_hint)


@pytest.mark.points(2)
def test_parameter_count(student, device):
    for args, in_channels in [((2, (3, 4), (2, 5), 3), 3), ((64, (96, 128), (16, 32), 32), 192)]:
        check_parameter_count(student, call(*args), args, {}, (2, in_channels, 4, 4), InceptionBlock(in_channels, *args),
                              device, "the block has six convs with bias: 1x1 to c1; 1x1 to c2[0] and 3x3 from c2[0] "
                              "to c2[1]; 1x1 to c3[0] and 5x5 from c3[0] to c3[1]; 1x1 to c4 after the pooling "
                              "(which has no parameters).", error_hint)


ORDERS = [p for p in itertools.permutations(range(4)) if p != (0, 1, 2, 3)]
diagnose = diagnosis({
    "the branches are concatenated in another order: torch.cat((b1, b2, b3, b4), dim=1), the 1x1 branch first and "
    "the pooling branch last, as in the book.": [{"order": p} for p in ORDERS],
    "the ReLUs inside branches 2 and 3 (after their 1x1 reductions) are missing: a ReLU follows every conv.":
        {"inner_relu": False},
    "the ReLUs at the ends of the branches are missing: a ReLU follows every conv.": {"outer_relu": False},
    "the fourth branch pools by averaging: it is a 3x3 max-pooling (stride 1, padding 1), then a 1x1 conv.":
        {"pool": "avg"},
}, default=BLOCK_HINT)


@pytest.mark.points(3)
def test_values_with_the_same_weights(student, device):
    for n, (args, shape) in enumerate([((2, (3, 4), (2, 5), 3), (2, 3, 6, 6)), ((3, (2, 2), (2, 3), 1), (1, 2, 5, 4)),
                                       ((1, (1, 2), (3, 1), 2), (2, 4, 3, 7))]):
        X = seeded(*shape, seed=10 + n, dtype=torch.float64, device=device, shift=0.2)
        Matched(student, call(*args), args, {}, InceptionBlock(shape[1], *args), X, device, seed=n,
                error_hint=error_hint, diagnose=diagnose, structure_hint=BLOCK_HINT)


@pytest.mark.points(2)
def test_gradients_reach_every_parameter(student, device):
    args = (2, (3, 4), (2, 5), 3)
    X = seeded(2, 3, 5, 5, seed=30, dtype=torch.float64, device=device, shift=0.2)
    m = Matched.lenient(student, call(*args), args, {}, InceptionBlock(3, *args), X, device, seed=5, error_hint=error_hint,
                structure_hint=BLOCK_HINT)
    check_gradients(m, X)
