"""ch05-xavier_uniform_'s grader: reference full marks, stub zero, every classic mistake loses points. The book has
no listing of its own here (it calls nn.init.xavier_uniform_ in 6.3), so there is no book variant to prove."""
from .proving import assert_full_marks, standard_proofs

EX = "ch05-xavier_uniform_"


def bounded(expression):
    """A solution that fills W with W.uniform_(-a, a) for the given bound a."""
    return f"""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = {expression}
    with torch.no_grad():
        W.uniform_(-a, a)
    return W
"""


MUTANTS = {
    "only fan_in (He-style bound)": (bounded("math.sqrt(6 / n_in)"), ["test_statistics_of_a_draw"],
                                     ["only n_in", "sqrt(6 / (n_in + n_out))"]),
    "the standard deviation as the bound": (bounded("math.sqrt(2 / (n_in + n_out))"), ["test_statistics_of_a_draw"],
                                            ["the standard deviation sqrt(2 / (n_in + n_out)) as the bound"]),
    "no square root": (bounded("6 / (n_in + n_out)"), ["test_statistics_of_a_draw"], ["without the square root"]),
    "product of the fans": (bounded("math.sqrt(6 / (n_in * n_out))"), ["test_statistics_of_a_draw"],
                            ["product"]),
    "normal draws (xavier_normal)": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    with torch.no_grad():
        W.normal_(0, math.sqrt(2 / (n_in + n_out)))
    return W
""", ["test_statistics_of_a_draw"], ["normal distribution"]),
    "U(0, a) from torch.rand": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    with torch.no_grad():
        W.copy_(torch.rand_like(W) * a)
    return W
""", ["test_statistics_of_a_draw"], ["all values are >= 0"]),
    "no torch.no_grad()": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    return W.uniform_(-a, a)
""", ["test_works_on_a_parameter"], ["torch.no_grad()"]),
    "a new tensor, W left alone": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    return torch.empty_like(W).uniform_(-a, a)
""", ["test_fills_W_in_place"], ["in place"]),
    "forgets to return W": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    with torch.no_grad():
        W.uniform_(-a, a)
""", ["test_fills_W_in_place"], ["return W"]),
    "seeds inside": ("""
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    torch.manual_seed(0)
    with torch.no_grad():
        W.uniform_(-a, a)
    return W
""", ["test_a_fresh_draw"], ["fresh at each call"]),
    "Python's random module, entry by entry": ("""
import random
def xavier_uniform_(W):
    n_in, n_out = W.shape
    a = math.sqrt(6 / (n_in + n_out))
    with torch.no_grad():
        for i in range(n_in):
            for j in range(n_out):
                W[i, j] = random.uniform(-a, a)
    return W
""", ["test_a_fresh_draw", "test_speed"], ["torch's random number generator", "python loop"]),
    "calls nn.init.xavier_uniform_": ("""
def xavier_uniform_(W):
    return nn.init.xavier_uniform_(W)
""", ["test_written_from_scratch"], ["write yourself"]),
}

CORRECT = {
    "rand_like rescaled, .data": """
def xavier_uniform_(W):
    a = (6.0 / (W.shape[0] + W.shape[1])) ** 0.5
    W.data.copy_((2 * torch.rand_like(W) - 1) * a)
    return W
""",
    "nn.init.uniform_ with the sum of the shape": """
def xavier_uniform_(W):
    a = math.sqrt(6 / sum(W.shape))
    return nn.init.uniform_(W, -a, a)
""",
    "slice assignment of a new draw": """
def xavier_uniform_(W):
    a = math.sqrt(6 / (W.shape[0] + W.shape[1]))
    with torch.no_grad():
        W[:] = torch.empty_like(W).uniform_(-a, a)
    return W
""",
}


def test_correct_alternatives_get_full_marks():
    for code in CORRECT.values():
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
