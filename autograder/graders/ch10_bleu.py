"""Grader for ch10-bleu: the book's BLEU of a predicted sequence against a label sequence (book 10.7.8).

With p_n the precision of the n-grams of the prediction (matches clipped: an n-gram of the label matches at most as
many times as it occurs there), len_pred and len_label the numbers of tokens (split on ' ') and k the longest
n-gram,

    bleu = exp(min(0, 1 - len_label / len_pred)) * prod_{n=1}^{min(k, len_pred)} p_n ** (1 / 2**n).

n stops at len_pred when k is larger: a prediction has no n-grams longer than itself, and the book's loop runs
`for n in range(1, min(k, len_pred) + 1)`. The truth is `book_bleu`, the book's listing; the tests also pin values
worked out by hand: the book's own worked example (label A B C D E F, prediction A B B C D: p_1 = 4/5, p_2 = 3/4,
p_3 = 1/3, p_4 = 0), its brevity example (prediction A B, k = 2: exp(1 - 6/2) = 0.135...), and the BLEU values
printed next to the book's translations (1.000, 0.658, 0.447). Plain strings cross the sandbox; the result is a
number (a float, or a 0-dim tensor).
"""
import collections
import math

import pytest
import torch

from autograder.checks import Mistake
from autograder.graders.common.text import run

GENERIC_HINT = ("score = exp(min(0, 1 - len_label / len_pred)); then for n in 1 .. min(k, len_pred): count the "
                "prediction's n-grams that match one of the label's (each label n-gram used at most as often as it "
                "occurs there), and multiply score by (matches / (len_pred - n + 1)) ** (0.5 ** n).")


def book_bleu(pred_seq, label_seq, k):
    """The book's listing (10.7.8)."""
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def variant(pred_seq, label_seq, k, mistake):
    """The usual mistakes, to name them."""
    pred, label = pred_seq.split(' '), label_seq.split(' ')
    lp, ll = len(pred), len(label)
    if mistake == "no penalty":
        score = 1.0
    elif mistake == "no min":
        score = math.exp(1 - ll / lp)
    elif mistake == "penalty swapped":
        score = math.exp(min(0, 1 - lp / ll))
    else:
        score = math.exp(min(0, 1 - ll / lp))
    top = k if mistake == "up to k" else min(k, lp)
    for n in range(1, top + 1):
        grams = [tuple(pred[i:i + n]) for i in range(lp - n + 1)]
        label_grams = collections.Counter(tuple(label[i:i + n]) for i in range(ll - n + 1))
        if mistake == "no clipping":
            matches = sum(1 for g in grams if g in label_grams)
        elif mistake == "sets":
            matches = len(set(grams) & set(label_grams))
        else:
            matches = sum((collections.Counter(grams) & label_grams).values())
        denominator = (ll - n + 1) if mistake == "label denominator" else (lp - n + 1)
        if denominator <= 0:
            return float("nan")
        weight = {"weights 1/n": 1 / n, "weights 1/k": 1 / k, "weights 2^-k": 0.5 ** k}.get(mistake, 0.5 ** n)
        score *= (matches / denominator) ** weight
    return score


MISTAKES = {
    "no clipping": "clip the matches: an n-gram of the label can match at most as many times as it occurs in the "
                   "label (the book decrements label_subs[...] after each match).",
    "sets": "count every matching n-gram of the prediction (clipped by the label's counts), not the distinct ones "
            "(a set).",
    "no penalty": "multiply by the brevity penalty exp(min(0, 1 - len_label / len_pred)): without it a short "
                  "prediction scores high.",
    "no min": "the brevity penalty is exp(min(0, 1 - len_label / len_pred)): the min keeps it at 1 for a prediction "
              "longer than the label (BLEU is at most 1).",
    "penalty swapped": "the brevity penalty is exp(min(0, 1 - len_label / len_pred)), label over prediction.",
    "weights 1/n": "the book weighs p_n with the exponent 1 / 2**n (0.5 ** n), not 1 / n (the original paper's).",
    "weights 1/k": "the book weighs p_n with the exponent 1 / 2**n (0.5 ** n), not 1 / k.",
    "weights 2^-k": "the exponent of p_n is 1 / 2**n, with n the n-gram's length, not k.",
    "label denominator": "p_n divides the matches by the number of n-grams in the prediction, len_pred - n + 1, "
                         "not in the label.",
}


def as_number(got):
    if isinstance(got, bool):
        return None
    if isinstance(got, (int, float)):
        return float(got)
    if isinstance(got, torch.Tensor) and got.numel() == 1 and (got.is_floating_point() or not got.dtype.is_complex):
        return float(got.reshape(()).item())
    return None


K_HINT = ("n runs from 1 to min(k, len_pred): a prediction of len_pred tokens has no n-grams longer than itself, "
          "and len_pred - n + 1 would be 0.")


def error_hint(e) -> str:
    return K_HINT if e.type == "ZeroDivisionError" else ""


def check(student, pred, label, k, expected=None, what=""):
    call = f"bleu({pred!r}, {label!r}, k={k})" + (f" ({what})" if what else "")
    got = as_number(run(student, (pred, label, k), call, error_hint).value)
    want = book_bleu(pred, label, k) if expected is None else expected
    if got is None:
        raise Mistake(f"{call} did not return a number (a float).", "return the score as a Python float.")
    if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
        return
    # every known mistake that gives this number (two can coincide on one input), else the recipe
    hints = [text for mistake, text in MISTAKES.items()
             if not math.isnan(w := variant(pred, label, k, mistake)) and math.isclose(got, w, rel_tol=1e-6,
                                                                                       abs_tol=1e-12)]
    if k > len(pred.split(" ")) and math.isnan(got):
        hints.insert(0, K_HINT)
    raise Mistake(f"{call} returned {got:.6g}, expected {want:.6g}.", " Or: ".join(hints) or GENERIC_HINT)


@pytest.mark.points(1)
def test_identical_sequences_score_one(student):
    check(student, "je suis chez moi .", "je suis chez moi .", 2, 1.0)
    check(student, "a b c d e f", "a b c d e f", 4, 1.0)


@pytest.mark.points(2)
def test_the_books_worked_example(student):
    """Label A B C D E F, prediction A B B C D: p_1 = 4/5, p_2 = 3/4, p_3 = 1/3, p_4 = 0; len 6 over 5."""
    penalty = math.exp(1 - 6 / 5)
    p = [4 / 5, 3 / 4, 1 / 3, 0.0]
    for k in (1, 2, 3, 4):
        expected = penalty * math.prod(p[n - 1] ** (0.5 ** n) for n in range(1, k + 1))
        check(student, "A B B C D", "A B C D E F", k, expected, f"the book's example, p_1 to p_{k}")


@pytest.mark.points(1.5)
def test_brevity_penalty(student):
    """The book's: a prediction A B of the label A B C D E F, k = 2, has p_1 = p_2 = 1 and BLEU exp(1 - 6/2)."""
    check(student, "A B", "A B C D E F", 2, math.exp(-2), "the book's brevity example, about 0.14")
    check(student, "il est", "il est calme .", 2, math.exp(1 - 4 / 2))


@pytest.mark.points(1)
def test_no_penalty_for_a_longer_prediction(student):
    check(student, "a b c d e", "a b c", 2, (3 / 5) ** 0.5 * (2 / 4) ** 0.25, "longer than the label: factor 1")


@pytest.mark.points(1.5)
def test_repeated_tokens_are_clipped(student):
    check(student, "the the the the", "the cat", 1, 1 / 4 ** 0.5, "'the' matches once: p_1 = 1/4")
    check(student, "a a b", "a b a", 2, (3 / 3) ** 0.5 * (1 / 2) ** 0.25)


@pytest.mark.points(1.5)
def test_k_larger_than_the_prediction(student):
    check(student, "va !", "va !", 4, 1.0, "two tokens: n stops at 2")
    check(student, "je suis", "je suis chez moi .", 3, math.exp(1 - 5 / 2), "two tokens: n stops at 2")
    check(student, "merci", "merci .", 3, math.exp(1 - 2 / 1), "one token")


@pytest.mark.points(0.5)
def test_no_match_scores_zero(student):
    check(student, "a b c", "d e f", 2, 0.0)
    check(student, "nous <unk> .", "il est calme .", 2, 0.0, "p_2 = 0")


@pytest.mark.points(1)
def test_the_books_translations(student):
    """BLEU (k = 2) printed next to the book's translations of 'go .', 'he's calm .' and 'i'm home .'."""
    for pred, label, printed in [("va !", "va !", 1.000), ("il est paresseux .", "il est calme .", 0.658),
                                 ("je suis en retard ?", "je suis chez moi .", 0.447)]:
        check(student, pred, label, 2, book_bleu(pred, label, 2), f"printed in the book as {printed:.3f}")
        assert abs(book_bleu(pred, label, 2) - printed) < 5e-4
