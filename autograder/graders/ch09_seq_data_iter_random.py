"""Grader for ch09-seq_data_iter_random: one epoch of random partitioning (book 9.3.3; the 1st edition's generator).

The corpus is a shuffled list of distinct token indices, so that every value names its position: each minibatch is
checked position by position (rows are pieces of the corpus, targets one token later), each epoch as a whole (the
pieces start at one offset d < num_steps plus multiples of num_steps, none twice, and as many full minibatches as
the corpus holds), and many epochs together (the offset and the order are random). Only properties that every
correct answer has are checked, so the randomness of an honest answer never costs a point.
"""
import pytest

from autograder.checks import Mistake
from autograder.graders.common.sequences import check_minibatch, epoch, shuffled_corpus

RULE = ("drop d = random.randint(0, num_steps - 1) tokens, cut the rest into (len - 1) // num_steps pieces starting "
        "at 0, num_steps, 2 * num_steps, ..., shuffle them, and yield len(pieces) // batch_size minibatches.")


def about(n, batch_size, num_steps):
    return f"seq_data_iter_random(corpus, batch_size={batch_size}, num_steps={num_steps}) for a corpus of {n} tokens"


def pieces(student, n, batch_size, num_steps, seed):
    """One epoch, each minibatch checked; returns the corpus positions where the pieces start, minibatch by
    minibatch (a list of lists)."""
    corpus = shuffled_corpus(n, seed)
    what = about(n, batch_size, num_steps)
    return [check_minibatch(item, corpus, batch_size, num_steps, what)[:, 0].tolist()
            for item in epoch(student, corpus, batch_size, num_steps, what)]


def expected_counts(n, batch_size, num_steps, r):
    """How many pieces an epoch uses when its pieces start at positions = r (mod num_steps): the offset is r (or
    num_steps when r = 0, which randint(0, num_steps) would give)."""
    offsets = [r] + ([num_steps] if r == 0 else [])
    return {batch_size * (((n - d - 1) // num_steps) // batch_size) for d in offsets}


def check_epoch(starts, n, batch_size, num_steps):
    what = about(n, batch_size, num_steps)
    flat = [s for batch in starts for s in batch]
    if len(set(flat)) != len(flat):
        twice = sorted({s for s in flat if flat.count(s) > 1})
        raise Mistake(f"{what} used the piece that starts at position {twice[0]} of the corpus more than once in one "
                      "epoch.", "shuffle the list of starting positions and take each one once "
                                "(random.shuffle), instead of drawing pieces with replacement.")
    residues = sorted({s % num_steps for s in flat})
    if len(residues) > 1:
        raise Mistake(f"{what} gave pieces that start at positions {sorted(flat)[:8]}... of the corpus: they overlap, "
                      f"since they are not all the same distance apart (a multiple of num_steps = {num_steps}).",
                      "after dropping the offset, the pieces start at 0, num_steps, 2 * num_steps, ...: they cut "
                      "the corpus into pieces that do not overlap (not every window corpus[i:i + num_steps]).")
    r = residues[0] if residues else None
    allowed = set().union(*(expected_counts(n, batch_size, num_steps, d) for d in
                            ([r] if r is not None else range(num_steps))))
    if len(flat) not in allowed:
        d = r if r is not None else 0
        m = (n - d - 1) // num_steps
        hint = RULE
        if len(flat) == batch_size * (num_steps // batch_size):
            hint = "the number of minibatches is num_subseqs // batch_size, not num_steps // batch_size."
        elif len(flat) == batch_size * (((n - d) // num_steps) // batch_size):
            hint = ("keep one token for the last target: num_subseqs = (len(corpus) - 1) // num_steps after "
                    "dropping the offset.")
        elif len(flat) < min(allowed):
            hint = "yield every full minibatch: range(0, batch_size * num_batches, batch_size) gives them all."
        raise Mistake(f"{what} gave {len(starts)} minibatches ({len(flat)} pieces) with offset d = {d}; expected "
                      f"{min(allowed) // batch_size}: {m} pieces of {num_steps} fit (one token kept for the last "
                      f"target), which make {m // batch_size} full minibatches of {batch_size}.", hint)
    return r


@pytest.mark.points(1.5)
def test_minibatches_are_pairs_of_int64_pieces(student):
    pieces(student, 53, 3, 4, seed=1)


@pytest.mark.points(2)
def test_targets_are_the_next_tokens(student):
    for seed in (2, 3, 4):
        pieces(student, 61, 2, 5, seed)


@pytest.mark.points(2)
def test_pieces_partition_the_corpus(student):
    for seed in (5, 6, 7):
        check_epoch(pieces(student, 79, 3, 4, seed), 79, 3, 4)


@pytest.mark.points(1.5)
def test_number_of_minibatches(student):
    for n, batch_size, num_steps in [(53, 3, 4), (40, 2, 3), (39, 2, 3), (64, 5, 2)]:
        for seed in (8, 9, 10):
            check_epoch(pieces(student, n, batch_size, num_steps, seed), n, batch_size, num_steps)


@pytest.mark.points(1.5)
def test_random_offset_and_order(student):
    n, batch_size, num_steps = 39, 2, 3
    what = about(n, batch_size, num_steps)
    offsets, orders = set(), []
    for k in range(40):
        starts = pieces(student, n, batch_size, num_steps, seed=11)
        r = check_epoch(starts, n, batch_size, num_steps)
        offsets.add(r)
        orders.append([s for batch in starts for s in batch])
    if len(offsets) == 1:
        raise Mistake(f"{what}, called 40 times, always dropped the same number of tokens at the start (the pieces "
                      f"always start at positions = {offsets.pop()} mod {num_steps}).",
                      "draw the offset afresh at every call: corpus[random.randint(0, num_steps - 1):], and do not "
                      "seed the random number generator inside the function.")
    if all(order == sorted(order) for order in orders):
        raise Mistake(f"{what}, called 40 times, always gave the pieces in the order of the corpus.",
                      "shuffle the starting positions (random.shuffle(initial_indices)): in random partitioning, "
                      "neighbouring minibatches do not come from neighbouring text.")


@pytest.mark.points(1.5)
def test_batch_of_one_one_step_and_a_short_corpus(student):
    for n, batch_size, num_steps in [(20, 1, 3), (10, 2, 1), (12, 1, 11)]:
        for seed in (12, 13):
            check_epoch(pieces(student, n, batch_size, num_steps, seed), n, batch_size, num_steps)
    got = pieces(student, 6, 3, 2, seed=14)
    if got:
        raise Mistake(f"{about(6, 3, 2)} gave {len(got)} minibatches; 6 tokens make at most 2 pieces of 2, not "
                      "enough for one minibatch of 3, so it should give none.", RULE)
