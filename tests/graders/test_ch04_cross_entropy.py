"""ch04-cross_entropy's grader: reference full marks, stub zero, every classic mistake loses points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch04-cross_entropy"

# the book's listing (4.4.3, 2nd edition), as printed
BOOK_4_4 = """
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()
"""

MUTANTS = {
    "one loss per example (1st edition)": ("""
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])
""", ["test_matches_the_mean", "test_float64"], ["mean over the minibatch", "1st edition"]),
    "sums instead of averaging": ("""
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).sum()
""", ["test_matches_the_mean"], ["summed"]),
    "y_hat[:, y]": ("""
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[:, y]).mean()
""", ["test_matches_the_mean"], ["n x n matrix", "pair row i with label"]),
    "forgot the minus sign": ("""
def cross_entropy(y_hat, y):
    return torch.log(y_hat[list(range(len(y_hat))), y]).mean()
""", ["test_matches_the_mean"], ["negative log-probability"]),
    "averages every entry": ("""
def cross_entropy(y_hat, y):
    return -torch.log(y_hat).mean()
""", ["test_matches_the_mean"], ["every entry of y_hat"]),
    "one-hot times log: 0 * log 0 = NaN": ("""
import torch.nn.functional as F
def cross_entropy(y_hat, y):
    return -(F.one_hot(y, y_hat.shape[1]) * torch.log(y_hat)).sum(1).mean()
""", ["test_zero_probability_of_a_wrong_class"], ["NaN", "0 * log(0)"]),
    "one-hot averaged over n * q entries": ("""
import torch.nn.functional as F
def cross_entropy(y_hat, y):
    return -(F.one_hot(y, y_hat.shape[1]) * torch.log(y_hat)).mean()
""", ["test_matches_the_mean"], ["n * q"]),
    "skips zero probabilities": ("""
def cross_entropy(y_hat, y):
    p = y_hat[list(range(len(y_hat))), y]
    return -torch.where(p > 0, torch.log(p), torch.zeros_like(p)).mean()
""", ["test_zero_probability_of_the_true_class"], ["worst prediction", "do not skip"]),
    "one-hot made on the CPU": ("""
def cross_entropy(y_hat, y):
    one_hot = torch.zeros(y_hat.shape).scatter(1, y.reshape(-1, 1).cpu(), 1.0)
    return -(one_hot * torch.log(y_hat.clamp(min=1e-12))).sum(1).mean()
""", ["test_result_on_the_inputs_device"], ["inputs' device"]),
    "loss as a Python float": ("""
def cross_entropy(y_hat, y):
    return float(-torch.log(y_hat[list(range(len(y_hat))), y]).mean())
""", ["test_matches_the_mean", "test_gradient"], ["expected a tensor", "without float() or .item()"]),
    "casts to float32": ("""
def cross_entropy(y_hat, y):
    return -torch.log(y_hat.float()[list(range(len(y_hat))), y]).mean()
""", ["test_float64"], ["dtype", "no .float()"]),
    "log in place": ("""
def cross_entropy(y_hat, y):
    y_hat.log_()
    return -y_hat[list(range(len(y_hat))), y].mean()
""", ["test_input_not_modified", "test_gradient"], ["in place", "autograd forbids"]),
    "calls F.nll_loss": ("""
import torch.nn.functional as F
def cross_entropy(y_hat, y):
    return F.nll_loss(torch.log(y_hat), y)
""", ["test_written_from_scratch"], ["write yourself"]),
    "python loop over examples": ("""
def cross_entropy(y_hat, y):
    total = 0
    for i in range(len(y_hat)):
        total = total - torch.log(y_hat[i, y[i]])
    return total / len(y_hat)
""", ["test_speed"], ["reference solution", "one indexing expression"]),
}

CORRECT = {
    "gather": """
def cross_entropy(y_hat, y):
    return -torch.log(y_hat.gather(1, y.unsqueeze(1))).mean()
""",
    "arange on the device and a clamp against log(0)": """
def cross_entropy(y_hat, y):
    p = y_hat[torch.arange(y_hat.shape[0], device=y_hat.device), y]
    return -torch.log(p.clamp(min=1e-12)).sum() / len(y)
""",
    "one-hot with where (no 0 * log 0)": """
import torch.nn.functional as F
def cross_entropy(y_hat, y):
    one_hot = F.one_hot(y, y_hat.shape[1]).bool()
    logs = torch.where(one_hot, torch.log(y_hat), torch.zeros_like(y_hat))
    return -logs.sum(dim=1).mean()
""",
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_4_4)


def test_first_edition_loses_only_the_two_tests_of_the_mean():
    """One loss per example is the book's 1st edition: the lesson asks for the mean (2nd edition), and only the
    tests that check it charge for that; the standard checks accept the per-example losses as right."""
    report = grade_code(EX, MUTANTS["one loss per example (1st edition)"][0])
    assert sorted(failed(report)) == ["test_float64_and_a_batch_of_one",
                                      "test_matches_the_mean_negative_log_likelihood"], report.summary()


def test_correct_alternatives_get_full_marks():
    for code in CORRECT.values():
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
