"""ch07-Conv2D's grader: reference full marks, stub zero, the book's layer full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-Conv2D"

# the listing of book 7.2.2, as printed
BOOK_7_2_2 = """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias
"""


def book(old, new):
    assert BOOK_7_2_2.count(old) == 1, old
    return BOOK_7_2_2.replace(old, new)


MUTANTS = {
    "plain tensors, not parameters": (book(
        "self.weight = nn.Parameter(torch.rand(kernel_size))\n        self.bias = nn.Parameter(torch.zeros(1))",
        "self.weight = torch.rand(kernel_size, requires_grad=True)\n"
        "        self.bias = torch.zeros(1, requires_grad=True)"),
        ["test_parameters_are_registered", "test_parameter_shapes", "test_forward", "test_gradients"],
        ["nn.Parameter"]),
    "no bias in forward": (book("return corr2d(x, self.weight) + self.bias", "return corr2d(x, self.weight)"),
                           ["test_forward", "test_gradients"], ["add the bias"]),
    "bias subtracted": (book("corr2d(x, self.weight) + self.bias", "corr2d(x, self.weight) - self.bias"),
                        ["test_forward"], ["do not subtract"]),
    "one bias per kernel entry": (book("torch.zeros(1)", "torch.zeros(kernel_size)"),
                                  ["test_parameter_shapes", "test_forward"], ["expected (1,)"]),
    ".data in forward": (book("corr2d(x, self.weight) + self.bias", "corr2d(x, self.weight.data) + self.bias.data"),
                         ["test_gradients"], ["no gradient reached", ".data"]),
    "kernel transposed": (book("corr2d(x, self.weight)", "corr2d(x, self.weight.T)"),
                          ["test_forward"], ["corr2d(x, self.weight)"]),
    "arguments of corr2d swapped": (book("corr2d(x, self.weight)", "corr2d(self.weight, x)"),
                                    ["test_forward"], ["second argument"]),
    "flipped kernel": (book("corr2d(x, self.weight)", "corr2d(x, self.weight.flip(0, 1))"),
                       ["test_forward"], ["flipped"]),
    "F.conv2d in forward": (book("return corr2d(x, self.weight) + self.bias",
                                 "return F.conv2d(x[None, None], self.weight[None, None])[0, 0] + self.bias").replace(
        "class Conv2D", "import torch.nn.functional as F\nclass Conv2D"),
        ["test_forward_runs_corr2d_not_the_library"], ["write yourself"]),
}


def test_book_code_gets_full_marks():
    assert_full_marks(EX, BOOK_7_2_2)


def test_scalar_bias_and_normal_weights_get_full_marks():
    assert_full_marks(EX, """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(*kernel_size) * 0.1)
        self.bias = nn.Parameter(torch.tensor(0.0))

    def forward(self, x):
        return corr2d(x, self.weight).add(self.bias)
""")


def test_register_parameter_and_own_loop_get_full_marks():
    assert_full_marks(EX, """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.register_parameter("weight", nn.Parameter(torch.rand(kernel_size)))
        self.register_parameter("bias", nn.Parameter(torch.zeros(1)))

    def forward(self, x):
        h, w = self.weight.shape
        rows = []
        for i in range(x.shape[0] - h + 1):
            rows.append(torch.stack([(x[i:i + h, j:j + w] * self.weight).sum()
                                     for j in range(x.shape[1] - w + 1)]))
        return torch.stack(rows) + self.bias
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
