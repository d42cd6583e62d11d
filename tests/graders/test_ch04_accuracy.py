"""ch04-accuracy's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch04-accuracy"

# the book's listing (4.3.2), a method of Classifier, as a function
BOOK_4_3 = """
def accuracy(Y_hat, Y, averaged=True):
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    preds = Y_hat.argmax(axis=1).type(Y.dtype)
    compare = (preds == Y.reshape(-1)).type(torch.float32)
    return compare.mean() if averaged else compare
"""

MUTANTS = {
    "argmax over dimension 0": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.argmax(dim=0) == Y).float()
    return compare.mean() if averaged else compare
""", ["test_fraction_of_correct", "test_averaged_false"], ["dimension 0", "last axis"]),
    "argmax over dimension 1 without the reshape": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.argmax(dim=1) == Y).float()
    return compare.mean() if averaged else compare
""", ["test_scores_with_more_axes"], ["last axis"]),
    "averaged=False returns the count": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) == Y.reshape(-1)).float()
    return compare.mean() if averaged else compare.sum()
""", ["test_averaged_false"], ["not its sum"]),
    "averaged=True returns the count": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) == Y.reshape(-1)).float()
    return compare.sum() if averaged else compare
""", ["test_fraction_of_correct"], ["number of correct predictions"]),
    "bools, not floats": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) == Y.reshape(-1)
    return compare.float().mean() if averaged else compare
""", ["test_averaged_false"], ["float32"]),
    "integer division": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) == Y.reshape(-1)).long()
    return compare.sum() // len(compare) if averaged else compare.float()
""", ["test_fraction_of_correct"], ["rounds"]),
    "max instead of argmax": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.reshape(-1, Y_hat.shape[-1]).max(1).values == Y.reshape(-1)).float()
    return compare.mean() if averaged else compare
""", ["test_fraction_of_correct"], ["argmax gives the predicted class"]),
    "counts the wrong ones": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) != Y.reshape(-1)).float()
    return compare.mean() if averaged else compare
""", ["test_fraction_of_correct"], ["== , not !="]),
    "mean of bools": ("""
def accuracy(Y_hat, Y, averaged=True):
    compare = Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1) == Y.reshape(-1)
    return compare.mean() if averaged else compare.float()
""", ["test_fraction_of_correct"], [".float()"]),
    "one-hot needs int64 labels": ("""
import torch.nn.functional as F
def accuracy(Y_hat, Y, averaged=True):
    Y_hat = Y_hat.reshape(-1, Y_hat.shape[-1])
    hits = (F.one_hot(Y.reshape(-1), Y_hat.shape[-1]) * F.one_hot(Y_hat.argmax(1), Y_hat.shape[-1])).sum(1)
    compare = hits.float()
    return compare.mean() if averaged else compare
""", ["test_labels_of_other_dtypes"], ["int64 labels only"]),
    "result made on the CPU": ("""
def accuracy(Y_hat, Y, averaged=True):
    preds = Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(1)
    compare = torch.tensor((preds == Y.reshape(-1)).tolist(), dtype=torch.float32)
    return compare.mean() if averaged else compare
""", ["test_result_on_the_inputs_device"], ["inputs' device"]),
    "python loop over the rows": ("""
def accuracy(Y_hat, Y, averaged=True):
    Y_hat, Y = Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1)
    compare = torch.zeros(len(Y), device=Y.device)
    for i in range(len(Y)):
        compare[i] = float(int(Y_hat[i].argmax()) == int(Y[i]))
    return compare.mean() if averaged else compare
""", ["test_speed"], ["reference solution"]),
}

CORRECT = {
    "argmax(-1) keeping Y's shape, a Python float": """
def accuracy(Y_hat, Y, averaged=True):
    compare = (Y_hat.argmax(dim=-1) == Y).to(torch.float32)
    return compare.mean().item() if averaged else compare
""",
    "sum divided by the count, float64": """
def accuracy(Y_hat, Y, averaged=True):
    preds = Y_hat.reshape(-1, Y_hat.shape[-1]).max(dim=1).indices
    compare = preds.eq(Y.reshape(-1).long()).double()
    return compare.sum() / compare.numel() if averaged else compare
""",
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_4_3)


def test_correct_alternatives_get_full_marks():
    for code in CORRECT.values():
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
