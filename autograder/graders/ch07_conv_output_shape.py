"""Grader for ch07-conv_output_shape: `conv_output_shape(input_shape, kernel_size, padding=0, stride=1)`, the
(height, width) of a convolution's output (book 7.3), with nn.Conv2d's arguments: `padding` rows (columns) on
*each* side, ints or pairs.

The truth is the shape that F.conv2d itself gives on the "meta" device (shapes without data), for the book's
examples and a few hundred combinations of sizes, kernels, paddings and strides. The student computes the shape
from the formula; running a convolution to read it off is what the book's comp_conv2d does, and is banned here.
"""
import itertools
import random

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import Mistake, StudentError, as_mistake, expect_not_used
from autograder.graders.common.conv import CONV_BANNED

FORMULA = ("out_h = floor((n_h - k_h + p_h + s_h) / s_h), where p_h = 2 * padding is the padding of both sides "
           "together; in Python (n_h - k_h + 2 * padding + stride) // stride, and the same for the width.")
INT_HINT = ("return Python ints: floor division // of ints gives an int (math.floor(...) does too); / gives a "
            "float, and a shape is made of whole numbers.")
PAIR_HINT = ("kernel_size, padding and stride are each an int (the same for height and width) or a pair (height, "
             "width), as for nn.Conv2d: turn an int v into (v, v) first.")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def truth(input_shape, kernel_size, padding, stride):
    X = torch.empty(1, 1, *input_shape, device="meta")
    K = torch.empty(1, 1, *pair(kernel_size), device="meta")
    return tuple(F.conv2d(X, K, stride=stride, padding=padding).shape[2:])


def about(input_shape, kernel_size, padding, stride):
    return (f"conv_output_shape({tuple(input_shape)}, kernel_size={kernel_size}, padding={padding}, "
            f"stride={stride})")


def numbers(got, call):
    """The two numbers of the result (ints or floats; tensors read out), or a Mistake if it is not a pair."""
    if isinstance(got, torch.Tensor):
        got = got.tolist()
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake(f"{call} returned {str(got)[:80]}, expected a tuple of two ints (out_h, out_w).",
                      "return (out_h, out_w), e.g. return (h, w).")
    values = []
    for v in got:
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Mistake(f"{call} returned {str(got)[:80]}, expected a tuple of two ints (out_h, out_w).", INT_HINT)
        values.append(v)
    return tuple(values)


def diagnose(args, got) -> str:
    """The usual mistake behind a wrong shape, by the wrong formula that gives exactly `got`."""
    (n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w) = args[0], *map(pair, args[1:])
    right = ((n_h - k_h + 2 * p_h + s_h) // s_h, (n_w - k_w + 2 * p_w + s_w) // s_w)

    def per_dim(f):
        return (f(n_h, k_h, p_h, s_h), f(n_w, k_w, p_w, s_w))

    wrongs = {
        "the height comes from the first numbers and the width from the second: you swapped them.":
            right[::-1],
        "padding=p adds p rows on top AND p at the bottom (nn.Conv2d's convention): the book's p_h is 2 * padding.":
            per_dim(lambda n, k, p, s: (n - k + p + s) // s),
        "a stride of s still includes the first position: floor((n - k + 2p) / s) + 1 (the + s in the book's "
        "formula).": per_dim(lambda n, k, p, s: (n - k + 2 * p) // s),
        "round down (floor): a last window that would stick out past the (padded) input is not computed.":
            per_dim(lambda n, k, p, s: -(-(n - k + 2 * p + s) // s)),
        "divide by the stride: with stride s only every s-th position is computed.":
            per_dim(lambda n, k, p, s: n - k + 2 * p + 1),
        "the kernel takes k - 1 rows (columns) off the padded size: n - k + 2p + 1 positions at stride 1.":
            per_dim(lambda n, k, p, s: (n + 2 * p + s) // s),
        "take the padding into account: it adds rows and columns before the kernel slides.":
            per_dim(lambda n, k, p, s: (n - k + s) // s),
    }
    if any(isinstance(v, float) and v != int(v) for v in got):
        return "use floor division (//): " + FORMULA
    # several mistakes can give the same numbers here (without padding or stride, say): name them all
    found = [hint for hint, wrong in wrongs.items() if tuple(got) == tuple(wrong) and tuple(wrong) != right]
    if len(found) > 1:
        return "one of these: " + " Or: ".join(found)
    return found[0] if found else FORMULA


def check_values(args, got, call):
    values = numbers(got, call)
    expected = truth(*args)
    if values != expected:
        raise Mistake(f"{call} returned {tuple(values)}, expected {expected} (the shape F.conv2d gives).",
                      diagnose(args, values))


def call(student, args, **run):
    try:
        return student.run(*args, **run)
    except StudentError as e:
        as_mistake(e, about(*args), PAIR_HINT if e.type == "TypeError" else FORMULA)


def check(student, cases):
    for args in cases:
        check_values(args, call(student, args).value, about(*args))


def valid(n, k, p):
    return n + 2 * p >= k


@pytest.mark.points(2)
def test_book_examples(student, device):
    """Book 7.3's four examples on an 8 x 8 input."""
    check(student, [((8, 8), 3, 1, 1), ((8, 8), (5, 3), (2, 1), 1), ((8, 8), 3, 1, 2),
                    ((8, 8), (3, 5), (0, 1), (3, 4))])


@pytest.mark.points(1.5)
def test_padding_at_stride_one(student, device):
    cases = [((n, n + 3), (k, k2), (p, p2), 1) for n, k, k2, p, p2 in
             [(6, 3, 3, 1, 1), (7, 5, 3, 2, 1), (5, 2, 4, 0, 2), (4, 5, 1, 2, 0), (10, 1, 7, 3, 3)]]
    check(student, cases)


@pytest.mark.points(2)
def test_stride(student, device):
    cases = [((n, n), k, 0, s) for n, k, s in [(7, 3, 2), (8, 3, 2), (9, 2, 3), (10, 4, 3), (28, 5, 4), (5, 5, 2),
                                                (6, 1, 4)]]
    cases += [((11, 9), (3, 2), 0, (2, 3)), ((9, 11), (2, 3), 0, (3, 2))]
    check(student, cases)


@pytest.mark.points(2.5)
def test_many_combinations(student, device):
    """Random combinations of sizes, kernels, paddings and strides (height and width drawn apart)."""
    rng = random.Random(7)
    dims = [(n, k, p, s) for n, k, p, s in itertools.product([1, 2, 5, 8, 13, 28], [1, 2, 3, 5, 7], [0, 1, 2, 3],
                                                             [1, 2, 3, 5]) if valid(n, k, p)]
    cases = []
    for _ in range(150):
        (n_h, k_h, p_h, s_h), (n_w, k_w, p_w, s_w) = rng.choice(dims), rng.choice(dims)
        cases.append(((n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w)))
    check(student, cases)


@pytest.mark.points(1)
def test_ints_and_pairs(student, device):
    """An int means the same for height and width, a pair (height, width), as nn.Conv2d's arguments."""
    check(student, [((9, 7), 3, 1, 2), ((9, 7), (3, 3), (1, 1), (2, 2)), ((9, 7), 3, (1, 0), 2),
                    ((9, 7), (3, 1), 1, (2, 1)), ((9, 7), [3, 1], [1, 0], [2, 1])])


@pytest.mark.points(0.5)
def test_returns_ints(student, device):
    for args in [((8, 8), 3, 1, 2), ((13, 10), (5, 2), (2, 0), (3, 4))]:
        got = call(student, args).value
        check_values(args, got, about(*args))
        values = got.tolist() if isinstance(got, torch.Tensor) else list(got)
        kinds = {type(v).__name__ for v in values}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise Mistake(f"{about(*args)} returned {tuple(values)} ({', '.join(sorted(kinds))}); a shape is made "
                          "of Python ints.", INT_HINT)


@pytest.mark.points(0.5)
def test_computed_from_the_formula(student, device):
    args = ((12, 10), (3, 5), (1, 2), (2, 3))
    out = call(student, args, watch=CONV_BANNED)
    check_values(args, out.value, about(*args))
    expect_not_used(out.seen, CONV_BANNED, about(*args),
                    "compute the shape from the formula with integer arithmetic; running a convolution and reading "
                    "its output's shape (what the book's comp_conv2d does) is what this exercise replaces.")

