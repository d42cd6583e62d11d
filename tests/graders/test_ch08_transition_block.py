"""ch08-transition_block's grader: reference full marks, stub zero, the book's listing and other sound blocks (the
pooling before the convolution included: they commute) full marks, every realistic mistake loses points with a
message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-transition_block"

# the listing of book 8.7.3 (PyTorch), as printed
BOOK_8_7_3 = """
def transition_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))
"""


def book(old, new):
    assert BOOK_8_7_3.count(old) == 1, old
    return BOOK_8_7_3.replace(old, new)


# average pooling and a 1x1 convolution commute: pooling first is the same block, 4x cheaper
POOL_FIRST = """
def transition_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.AvgPool2d(2), nn.LazyConv2d(num_channels, 1))
"""

# a module of its own, functional ReLU and pooling
MODULE = """
import torch.nn.functional as F

class _Transition(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.reduce = nn.LazyConv2d(num_channels, kernel_size=1)
        self.norm = nn.LazyBatchNorm2d()

    def forward(self, X):
        return F.avg_pool2d(self.reduce(F.relu(self.norm(X))), kernel_size=2, stride=2)

def transition_block(num_channels):
    return _Transition(num_channels)
"""

MUTANTS = {
    "max-pooling": (book("nn.AvgPool2d(kernel_size=2, stride=2)", "nn.MaxPool2d(kernel_size=2, stride=2)"),
                    ["test_values"], ["max-pooling"]),
    "no pooling": (book("""        nn.LazyConv2d(num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))""", """        nn.LazyConv2d(num_channels, kernel_size=1))"""),
                   ["test_output_shapes"], ["pooling is missing"]),
    "pooling with stride 1": (book("nn.AvgPool2d(kernel_size=2, stride=2)", "nn.AvgPool2d(kernel_size=2, stride=1)"),
                              ["test_output_shapes"], ["stride=2"]),
    "no ReLU": (book("nn.LazyBatchNorm2d(), nn.ReLU(),", "nn.LazyBatchNorm2d(),"), ["test_values"],
                ["ReLU is missing"]),
    "ReLU after the convolution": (book("""        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=1),""", """        nn.LazyBatchNorm2d(),
        nn.LazyConv2d(num_channels, kernel_size=1), nn.ReLU(),"""), ["test_values"],
        ["ReLU comes after the convolution"]),
    "3x3 convolution": (book("nn.LazyConv2d(num_channels, kernel_size=1)", "nn.LazyConv2d(num_channels, kernel_size=3)"),
                        ["test_output_shapes", "test_parameter_count"], ["1x1"]),
    "no batch norm": (book("nn.LazyBatchNorm2d(), nn.ReLU(),", "nn.ReLU(),"),
                      ["test_parameter_count", "test_values"], ["Missing or different: batch norm"]),
    "convolution first, batch norm over its output": ("""
def transition_block(num_channels):
    return nn.Sequential(nn.LazyConv2d(num_channels, kernel_size=1), nn.LazyBatchNorm2d(), nn.ReLU(),
                         nn.AvgPool2d(kernel_size=2, stride=2))
""", ["test_parameter_count", "test_values"], ["batch norm over the input's channels"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_7_3)


def test_pooling_before_the_convolution_gets_full_marks():
    assert_full_marks(EX, POOL_FIRST)


def test_a_module_of_its_own_gets_full_marks():
    assert_full_marks(EX, MODULE)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
