"""ch02-sin_derivative's grader: reference full marks, stub zero, every realistic mistake loses points."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch02-sin_derivative"

# book 2.5.2's pattern for a non-scalar y, applied to sin: right for a vector on the CPU only
BOOK_2_5_2 = """
def sin_derivative(x):
    x.requires_grad_(True)
    y = torch.sin(x)
    y.backward(gradient=torch.ones(len(y)))
    return x.grad
"""

MUTANTS = {
    "the book's torch.ones(len(y))": (BOOK_2_5_2, ["test_scalar_matrix_and_float64", "test_result_on_the_inputs"],
                                      ["torch.ones_like(y)", "device"]),
    "backward on a non-scalar without gradient=": ("""
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    y = torch.sin(x)
    y.backward()
    return x.grad
""", ["test_matches_the_derivative", "test_scalar_matrix"], ["y.sum().backward()"]),
    "autograd.grad without grad_outputs": ("""
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    return torch.autograd.grad(torch.sin(x), x)[0]
""", ["test_matches_the_derivative"], ["scalar"]),
    "forgets requires_grad": ("""
def sin_derivative(x):
    x = x.detach()
    y = torch.sin(x)
    y.sum().backward()
    return x.grad
""", ["test_matches_the_derivative"], ["requires_grad"]),
    "returns y instead of the gradient": ("""
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    y = torch.sin(x)
    y.sum().backward()
    return y
""", ["test_matches_the_derivative"], ["sin(x) itself"]),
    "backward twice": ("""
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    y = torch.sin(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return x.grad
""", ["test_matches_the_derivative"], ["accumulate"]),
    "calls cos": ("""
def sin_derivative(x):
    return torch.cos(x)
""", ["test_written_without_cos"], ["write yourself"]),
    "cos through math, element by element": ("""
import math
def sin_derivative(x):
    return x.detach().clone().apply_(math.cos) if x.device.type == "cpu" else x.detach().cos()
""", ["test_written_without_cos"], ["write yourself"]),
    "sin shifted by pi/2": ("""
def sin_derivative(x):
    return torch.sin(x + torch.pi / 2)
""", ["test_autograd_did"], ["autograd did not differentiate"]),
    "central difference quotient": ("""
def sin_derivative(x):
    h = 1e-6 if x.dtype == torch.float64 else 1e-2
    return (torch.sin(x + h) - torch.sin(x - h)) / (2 * h)
""", ["test_autograd_did"], ["difference quotient"]),
    "casts to float32": ("""
def sin_derivative(x):
    x = x.detach().float().requires_grad_(True)
    torch.sin(x).sum().backward()
    return x.grad
""", ["test_scalar_matrix_and_float64"], ["dtype"]),
}

ALTERNATIVES = {
    "sum then backward": """
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    torch.sin(x).sum().backward()
    return x.grad
""",
    "autograd.grad with ones_like": """
def sin_derivative(x):
    x = x.detach().requires_grad_(True)
    y = torch.sin(x)
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    return g
""",
    "torch.func.grad under vmap": """
def sin_derivative(x):
    flat = x.detach().reshape(-1)
    return torch.vmap(torch.func.grad(torch.sin))(flat).reshape(x.shape)
""",
    "forward mode: torch.func.jvp": """
def sin_derivative(x):
    return torch.func.jvp(torch.sin, (x.detach(),), (torch.ones_like(x),))[1]
""",
    "forward mode: dual numbers": """
import torch.autograd.forward_ad as fwAD
def sin_derivative(x):
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach(), torch.ones_like(x))
        return fwAD.unpack_dual(torch.sin(dual)).tangent
""",
    "clone, and the graph kept for later": """
def sin_derivative(x):
    x = x.clone().detach().requires_grad_(True)
    y = x.sin()
    y.backward(torch.ones_like(y), retain_graph=True)
    return x.grad.detach()
""",
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
