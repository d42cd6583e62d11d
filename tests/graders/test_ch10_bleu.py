"""ch10-bleu's grader: reference full marks, stub zero, every classic mistake loses points."""
import math

from autograder.graders import ch10_bleu as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-bleu"

# the book's listing (10.7.8), as printed
BOOK = """
def bleu(pred_seq, label_seq, k):  #@save
    \"\"\"Compute the BLEU.\"\"\"
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
"""

# correct alternatives: Counter intersection (clipped counts); a product of a list, logs avoided with ** and prod
COUNTER = """
from collections import Counter
def bleu(pred_seq, label_seq, k):
    pred, label = pred_seq.split(' '), label_seq.split(' ')
    factors = [math.exp(min(0.0, 1 - len(label) / len(pred)))]
    for n in range(1, min(k, len(pred)) + 1):
        grams = lambda toks: Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
        matched = sum((grams(pred) & grams(label)).values())
        factors.append((matched / (len(pred) - n + 1)) ** (1 / 2 ** n))
    return float(math.prod(factors))
"""

TENSOR = """
def bleu(pred_seq, label_seq, k):
    pred, label = pred_seq.split(' '), label_seq.split(' ')
    score = torch.exp(torch.tensor(min(0.0, 1 - len(label) / len(pred)), dtype=torch.float64))
    for n in range(1, min(k, len(pred)) + 1):
        available = collections.Counter(' '.join(label[i:i + n]) for i in range(len(label) - n + 1))
        hits = 0
        for i in range(len(pred) - n + 1):
            g = ' '.join(pred[i:i + n])
            if available[g]:
                available[g] -= 1
                hits += 1
        score = score * (hits / (len(pred) - n + 1)) ** (0.5 ** n)
    return score
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "matches not clipped": (variant(("                label_subs[' '.join(pred_tokens[i: i + n])] -= 1\n", "")),
                            ["test_the_books_worked", "test_repeated_tokens"], ["clip the matches"]),
    "no brevity penalty": (variant(("score = math.exp(min(0, 1 - len_label / len_pred))", "score = 1.0")),
                           ["test_the_books_worked", "test_brevity_penalty", "test_k_larger"], ["brevity penalty"]),
    "penalty without the min": (variant(("math.exp(min(0, 1 - len_label / len_pred))",
                                         "math.exp(1 - len_label / len_pred)")),
                                ["test_no_penalty_for_a_longer"], ["the min keeps it at 1"]),
    "penalty upside down": (variant(("1 - len_label / len_pred", "1 - len_pred / len_label")),
                            ["test_the_books_worked", "test_brevity_penalty"], ["label over prediction"]),
    "weights 1/n (the original paper's)": (variant(("math.pow(0.5, n)", "1 / n")),
                                           ["test_the_books_worked", "test_no_penalty"], ["1 / 2**n"]),
    "n runs up to k": (variant(("range(1, min(k, len_pred) + 1)", "range(1, k + 1)")),
                       ["test_k_larger"], ["min(k, len_pred)"]),
    "denominator from the label": (variant(("num_matches / (len_pred - n + 1)", "num_matches / (len_label - n + 1)")),
                                   ["test_the_books_worked", "test_brevity_penalty"], ["in the prediction"]),
    "distinct n-grams (sets)": ("""
def bleu(pred_seq, label_seq, k):
    pred, label = pred_seq.split(' '), label_seq.split(' ')
    score = math.exp(min(0, 1 - len(label) / len(pred)))
    for n in range(1, min(k, len(pred)) + 1):
        p_grams = {tuple(pred[i:i + n]) for i in range(len(pred) - n + 1)}
        l_grams = {tuple(label[i:i + n]) for i in range(len(label) - n + 1)}
        score *= (len(p_grams & l_grams) / (len(pred) - n + 1)) ** (0.5 ** n)
    return score
""", ["test_repeated_tokens"], ["not the distinct ones"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_counter_intersection_gets_full_marks():
    assert_full_marks(EX, COUNTER)


def test_a_0_dim_tensor_result_gets_full_marks():
    assert_full_marks(EX, TENSOR)


def test_hand_worked_values():
    assert math.isclose(grader.book_bleu("A B", "A B C D E F", 2), math.exp(-2))
    assert round(grader.book_bleu("il est paresseux .", "il est calme .", 2), 3) == 0.658
    assert round(grader.book_bleu("je suis en retard ?", "je suis chez moi .", 2), 3) == 0.447
    assert grader.book_bleu("A B B C D", "A B C D E F", 4) == 0.0


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
