"""Grader for ch09-seq_data_iter_sequential: one epoch of sequential partitioning (book 9.3.3; the 1st edition's
generator).

As for random partitioning, the corpus is a shuffled list of distinct token indices, so every minibatch is checked
position by position. An epoch must start at an offset d <= num_steps, each row of a minibatch must continue the
same row of the previous minibatch, no token may be used twice, and there must be as many minibatches as the book
makes, (len - d - 1) // (batch_size * num_steps). Any layout with those properties earns full marks (the book's
rows of (len - d - 1) // batch_size tokens, or rows of exactly the tokens the minibatches use).
"""
import pytest

from autograder.checks import Mistake
from autograder.graders.common.sequences import check_minibatch, epoch, shuffled_corpus

RULE = ("offset d = random.randint(0, num_steps); Xs = corpus[d:d + num_tokens] and Ys one token later, with "
        "num_tokens = ((len(corpus) - d - 1) // batch_size) * batch_size, reshaped to (batch_size, -1); then the "
        "minibatches are Xs[:, i:i + num_steps] for i = 0, num_steps, 2 * num_steps, ...")


def about(n, batch_size, num_steps):
    return (f"seq_data_iter_sequential(corpus, batch_size={batch_size}, num_steps={num_steps}) for a corpus of {n} "
            "tokens")


def starts(student, n, batch_size, num_steps, seed):
    """One epoch, each minibatch checked; the corpus positions where the rows of each minibatch start."""
    corpus = shuffled_corpus(n, seed)
    what = about(n, batch_size, num_steps)
    return [check_minibatch(item, corpus, batch_size, num_steps, what)[:, 0].tolist()
            for item in epoch(student, corpus, batch_size, num_steps, what)]


def check_rows_continue(rows, n, batch_size, num_steps):
    what = about(n, batch_size, num_steps)
    for i in range(1, len(rows)):
        for r, (before, now) in enumerate(zip(rows[i - 1], rows[i])):
            if now != before + num_steps:
                hint = ("row r of the next minibatch continues row r of this one: take the columns "
                        "Xs[:, i:i + num_steps] for i = 0, num_steps, 2 * num_steps, ..., in order.")
                if now == before + 1:
                    hint = ("you moved one column at a time, so the pieces overlap; step num_steps columns: "
                            "range(0, num_steps * num_batches, num_steps).")
                raise Mistake(f"{what}: row {r} of minibatch {i - 1} starts at position {before} of the corpus and "
                              f"row {r} of minibatch {i} at {now}; it should continue at {before + num_steps}.", hint)
    used = [s + k for batch in rows for s in batch for k in range(num_steps)]
    if len(set(used)) != len(used):
        raise Mistake(f"{what} used some tokens of the corpus in two rows (or two minibatches) of one epoch.",
                      "reshape the tokens from the offset on into (batch_size, -1): each row is its own stretch of "
                      "the corpus, and the rows do not overlap.")


def check_count(rows, n, batch_size, num_steps):
    what = about(n, batch_size, num_steps)
    if not rows:
        if (n - num_steps - 1) // (batch_size * num_steps) > 0:   # even the largest offset leaves room for one
            raise Mistake(f"{what} gave no minibatch at all.", RULE)
        return None
    d = min(rows[0])
    if not 0 <= d <= num_steps:
        raise Mistake(f"{what}: the first minibatch starts at position {d} of the corpus; the offset d should be "
                      f"between 0 and num_steps = {num_steps}.", "offset = random.randint(0, num_steps).")
    want = (n - d - 1) // (batch_size * num_steps)
    if len(rows) != want:
        length = (n - d - 1) // batch_size
        hint = RULE
        if len(rows) == want - 1:
            hint = "yield every full minibatch: num_batches = Xs.shape[1] // num_steps, all of them."
        raise Mistake(f"{what} gave {len(rows)} minibatches with offset d = {d}; expected {want}: rows of "
                      f"{length} tokens (one token kept for the last target) hold {want} pieces of {num_steps}.",
                      hint)
    return d


@pytest.mark.points(1.5)
def test_minibatches_are_pairs_of_int64_pieces(student):
    starts(student, 53, 3, 4, seed=1)


@pytest.mark.points(2)
def test_targets_are_the_next_tokens(student):
    for seed in (2, 3, 4):
        starts(student, 61, 2, 5, seed)


@pytest.mark.points(2.5)
def test_rows_continue_from_minibatch_to_minibatch(student):
    for seed in (5, 6, 7):
        check_rows_continue(starts(student, 79, 3, 4, seed), 79, 3, 4)


@pytest.mark.points(1.5)
def test_offset_and_number_of_minibatches(student):
    for n, batch_size, num_steps in [(53, 3, 4), (40, 2, 3), (100, 4, 5), (64, 5, 2)]:
        for seed in (8, 9, 10):
            check_count(starts(student, n, batch_size, num_steps, seed), n, batch_size, num_steps)


@pytest.mark.points(1)
def test_random_offset(student):
    n, batch_size, num_steps = 40, 2, 3
    offsets = {check_count(starts(student, n, batch_size, num_steps, seed=11), n, batch_size, num_steps)
               for _ in range(30)}
    if len(offsets) == 1:
        raise Mistake(f"{about(n, batch_size, num_steps)}, called 30 times, always started at offset "
                      f"{offsets.pop()}.", "draw the offset afresh at every call: random.randint(0, num_steps), "
                                           "and do not seed the random number generator inside the function.")


@pytest.mark.points(1.5)
def test_batch_of_one_one_step_and_a_short_corpus(student):
    for n, batch_size, num_steps in [(20, 1, 3), (10, 2, 1), (31, 3, 9)]:
        for seed in (12, 13):
            rows = starts(student, n, batch_size, num_steps, seed)
            check_rows_continue(rows, n, batch_size, num_steps)
            check_count(rows, n, batch_size, num_steps)
    got = starts(student, 6, 3, 2, seed=14)
    if got:
        raise Mistake(f"{about(6, 3, 2)} gave {len(got)} minibatches; 6 tokens in 3 rows leave at most 1 token per "
                      "row with one kept for the target, not enough for a piece of 2, so it should give none.", RULE)
