"""ch09-perplexity's grader: reference full marks, stub zero, correct alternatives full marks, mistakes lose points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, standard_proofs

EX = "ch09-perplexity"

MUTANTS = {
    "exp of the sum": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return torch.exp(-lp.gather(-1, Y[..., None]).sum())
""", ["test_matches_exp"], ["SUM"]),
    "mean of exp": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return torch.exp(-lp.gather(-1, Y[..., None])).mean()
""", ["test_matches_exp"], ["geometric mean"]),
    "no exponential": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return -lp.gather(-1, Y[..., None]).mean()
""", ["test_matches_exp", "test_uniform"], ["its exponential"]),
    "sign flipped": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return torch.exp(lp.gather(-1, Y[..., None]).mean())
""", ["test_matches_exp", "test_uniform"], ["NEGATIVE"]),
    "naive log of softmax overflows": ("""
def perplexity(Y_hat, Y):
    P = torch.exp(Y_hat) / torch.exp(Y_hat).sum(-1, keepdim=True)
    return torch.exp(-torch.log(P.gather(-1, Y[..., None])).mean())
""", ["test_large_logits"], ["logsumexp"]),
    "softmax over the time steps": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=1)
    return torch.exp(-lp.gather(-1, Y[..., None]).mean())
""", ["test_matches_exp"], ["time steps"]),
    "logits used as log-probabilities": ("""
def perplexity(Y_hat, Y):
    return torch.exp(-Y_hat.gather(-1, Y[..., None]).mean())
""", ["test_matches_exp", "test_uniform"], ["logsumexp"]),
    "calls F.cross_entropy (the book's training step)": ("""
import torch.nn.functional as F
def perplexity(Y_hat, Y):
    return torch.exp(F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1)))
""", ["test_written_from_scratch"], ["write yourself"]),
    "returns a Python float": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return torch.exp(-lp.gather(-1, Y[..., None]).mean()).item()
""", ["test_matches_exp", "test_gradient"], ["tensor"]),
    "one-hot mask made on the CPU": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    mask = torch.eye(Y_hat.shape[-1])[Y]
    return torch.exp(-(lp * mask).sum(-1).mean())
""", ["test_result_on_the_inputs_device"], ["device"]),
    "base 2": ("""
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat, dim=-1)
    return 2 ** (-lp.gather(-1, Y[..., None]).mean())
""", ["test_matches_exp"], ["natural log"]),
}


def test_log_softmax_and_indexing_get_full_marks():
    # a CPU index tensor may index a tensor on any device, so arange without device= is fine here
    assert_full_marks(EX, """
def perplexity(Y_hat, Y):
    lp = torch.log_softmax(Y_hat.reshape(-1, Y_hat.shape[-1]), dim=1)
    rows = torch.arange(lp.shape[0])
    return torch.exp(-lp[rows, Y.reshape(-1)].mean())
""")


def test_one_hot_products_get_full_marks():
    assert_full_marks(EX, """
import torch.nn.functional as F
def perplexity(Y_hat, Y):
    m = Y_hat.max(dim=-1, keepdim=True).values
    log_z = m + torch.log(torch.exp(Y_hat - m).sum(dim=-1, keepdim=True))
    picked = (F.one_hot(Y, Y_hat.shape[-1]).to(Y_hat.dtype) * (Y_hat - log_z)).sum(-1)
    return (-picked).mean().exp()
""")


def test_the_books_exp_of_the_loss_earns_no_credit():
    """The book computes perplexity as exp(loss) with the library's cross-entropy: here that is the banned op."""
    report = grade_code(EX, MUTANTS["calls F.cross_entropy (the book's training step)"][0])
    assert report.score == 0 and "calls the library function" in report.no_credit, report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
