"""ch06-MyLinear's grader: reference full marks, stub zero, mistakes lose points; the book's listing loses exactly
the gradient test (its forward reads .data)."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch06-MyLinear"

# the listing of book 6.5.2, as printed
BOOK_6_5_2 = """
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)
"""


def book(old, new):
    assert BOOK_6_5_2.count(old) == 1, old
    return BOOK_6_5_2.replace(old, new)


FIXED = book("torch.matmul(X, self.weight.data) + self.bias.data", "torch.matmul(X, self.weight) + self.bias")


def fixed(old, new):
    assert FIXED.count(old) == 1, old
    return FIXED.replace(old, new)


MUTANTS = {
    "the book's .data in forward": (BOOK_6_5_2, ["test_gradients"], ["no gradient reached", ".data"]),
    "plain tensors, not parameters": (fixed(
        "self.weight = nn.Parameter(torch.randn(in_units, units))\n        self.bias = nn.Parameter(torch.randn(units,))",
        "self.weight = torch.randn(in_units, units, requires_grad=True)\n"
        "        self.bias = torch.randn(units, requires_grad=True)"),
        ["test_parameters_are_registered", "test_parameter_shapes", "test_gradients"], ["nn.Parameter"]),
    "nn.Linear's orientation": (fixed(
        "nn.Parameter(torch.randn(in_units, units))", "nn.Parameter(torch.randn(units, in_units))").replace(
        "torch.matmul(X, self.weight)", "torch.matmul(X, self.weight.T)"),
        ["test_parameter_shapes"], ["(in_units, units)"]),
    "bias of shape (1, units)": (fixed("torch.randn(units,)", "torch.randn(1, units)"),
                                 ["test_parameter_shapes"], ["expected (3,)"]),
    "no ReLU": (fixed("return F.relu(linear)", "return linear"), ["test_forward"], ["apply the ReLU"]),
    "bias after the ReLU": (fixed("linear = torch.matmul(X, self.weight) + self.bias\n        return F.relu(linear)",
                                  "return F.relu(torch.matmul(X, self.weight)) + self.bias"),
                            ["test_forward"], ["before the ReLU"]),
    "wraps nn.Linear": ("""
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.linear = nn.Linear(in_units, units)

    def forward(self, X):
        return F.relu(self.linear(X))
""", ["test_parameters_are_registered", "test_parameter_shapes"], ["weight and bias"]),
    "zero initial weights": (fixed("torch.randn(in_units, units)", "torch.zeros(in_units, units)"),
                             ["test_weights_start_random"], ["torch.randn"]),
}


def test_book_listing_loses_only_the_gradient_test():
    report = grade_code(EX, BOOK_6_5_2)
    assert set(failed(report)) == {"test_gradients_reach_weight_bias_and_input"}, report.summary()
    assert report.score == report.max_score - 2.5, report.summary()


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, FIXED)
    assert_full_marks(EX, """
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_units, units).normal_())
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        return torch.clamp(X @ self.weight + self.bias, min=0)
""")
    assert_full_marks(EX, """
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.register_parameter("weight", nn.Parameter(torch.randn(in_units, units)))
        self.register_parameter("bias", nn.Parameter(torch.randn(units,)))

    def forward(self, X):
        return torch.addmm(self.bias, X, self.weight).relu()
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
