"""ch01-normal's grader: reference full marks, stub zero, every realistic mistake loses points."""
import pytest
import torch

from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch01-normal"

# book 3.1.3, as printed: it computes on NumPy arrays
BOOK_3_1 = """
import numpy as np
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 * (x - mu)**2 / sigma**2)
"""

MUTANTS = {
    "sigma not squared under the square root": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma)
    return p * torch.exp(-0.5 * (x - mu)**2 / sigma**2)
""", ["test_matches_the_density", "test_float64"], ["squared under the square root"]),
    "forgets the 1/2 in the exponent": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * torch.exp(-(x - mu)**2 / sigma**2)
""", ["test_matches_the_density", "test_gradient"], ["the 1/2 is missing"]),
    "divides by sigma in the exponent": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * torch.exp(-(x - mu)**2 / (2 * sigma))
""", ["test_matches_the_density"], ["variance"]),
    "operator precedence in the constant": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi) * sigma**2
    return p * torch.exp(-0.5 * (x - mu)**2 / sigma**2)
""", ["test_matches_the_density"], ["precedence"]),
    "forgets the constant in front": ("""
def normal(x, mu, sigma):
    return torch.exp(-0.5 * (x - mu)**2 / sigma**2)
""", ["test_matches_the_density"], ["area under the curve"]),
    "x + mu": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * torch.exp(-0.5 * (x + mu)**2 / sigma**2)
""", ["test_matches_the_density"], ["centred at mu"]),
    "standardises x in place": ("""
def normal(x, mu, sigma):
    x -= mu
    x /= sigma
    return torch.exp(-0.5 * x**2) / (sigma * math.sqrt(2 * math.pi))
""", ["test_input_not_modified"], ["in place"]),
    "uses torch.distributions": ("""
def normal(x, mu, sigma):
    return torch.distributions.Normal(mu, sigma).log_prob(x).exp()
""", ["test_written_from_scratch"], ["write yourself"]),
    "python loop with math.exp": ("""
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    flat = [p * math.exp(-0.5 * (v - mu)**2 / sigma**2) for v in x.reshape(-1).tolist()]
    return torch.tensor(flat, dtype=x.dtype, device=x.device).reshape(x.shape)
""", ["test_speed", "test_gradient"], ["reference solution", "cut the graph"]),
    "casts to float32": ("""
def normal(x, mu, sigma):
    x = x.float()
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * torch.exp(-0.5 * (x - mu)**2 / sigma**2)
""", ["test_float64"], ["dtype"]),
    "goes through NumPy": ("""
import numpy as np
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return torch.from_numpy(p * np.exp(-0.5 * (x.detach().cpu().numpy() - mu)**2 / sigma**2))
""", ["test_gradient", "test_result_on_the_inputs_device"], ["np.exp"]),
}

ALTERNATIVES = {
    "standardised z, sigma outside the root": """
def normal(x, mu, sigma):
    z = (x - mu) / sigma
    return torch.exp(-0.5 * z**2) / (sigma * math.sqrt(2 * math.pi))
""",
    "in log space": """
def normal(x, mu, sigma):
    return torch.exp(-(x - mu)**2 / (2 * sigma**2) - math.log(sigma) - 0.5 * math.log(2 * math.pi))
""",
    "torch.pi, torch.square, torch.sqrt of a float32 constant": """
def normal(x, mu, sigma):
    c = 1 / torch.sqrt(2 * torch.tensor(torch.pi) * sigma**2)
    return c * torch.exp(-torch.square(x - mu) / (2 * sigma**2))
""",
    "out of place copy, then in-place on the copy": """
def normal(x, mu, sigma):
    z = x.clone()
    z -= mu
    z /= sigma
    return z.pow(2).mul(-0.5).exp() / math.sqrt(2 * math.pi * sigma**2)
""",
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


def test_book_listing_loses_the_gradient_and_the_device():
    """np.exp on a tensor works on the CPU (NumPy hands a tensor back) but not through autograd, nor on another
    device; on a GPU it fails every test that runs there."""
    report = grade_code(EX, BOOK_3_1)
    lost = failed(report)
    if torch.cuda.is_available():
        assert report.score <= 1.5, report.summary()
    else:
        assert set(lost) == {"test_gradient_matches_autograd", "test_result_on_the_inputs_device"}, report.summary()
    assert all("np.exp" in m for m in lost.values()), report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
