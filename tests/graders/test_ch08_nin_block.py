"""ch08-nin_block's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-nin_block"

# the listing of book 8.3.1 (PyTorch), as printed
BOOK_8_3_1 = """
def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())
"""


def book(old, new, count=1):
    assert BOOK_8_3_1.count(old) == count, old
    return BOOK_8_3_1.replace(old, new)


# a module of its own, the 1x1 convolutions registered before the first one, functional ReLUs
MODULE = """
import torch.nn.functional as F

class _NiN(nn.Module):
    def __init__(self, out_channels, kernel_size, strides, padding):
        super().__init__()
        self.mlp = nn.ModuleList([nn.LazyConv2d(out_channels, 1), nn.LazyConv2d(out_channels, 1)])
        self.spatial = nn.LazyConv2d(out_channels, kernel_size, stride=strides, padding=padding)

    def forward(self, X):
        X = F.relu(self.spatial(X))
        for conv in self.mlp:
            X = F.relu(conv(X))
        return X

def nin_block(out_channels, kernel_size, strides, padding):
    return _NiN(out_channels, kernel_size, strides, padding)
"""

# named layers, in-place ReLUs
NAMED = """
from collections import OrderedDict

def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(OrderedDict([
        ("conv", nn.LazyConv2d(out_channels, kernel_size=kernel_size, stride=strides, padding=padding)),
        ("relu", nn.ReLU(inplace=True)),
        ("mlp1", nn.LazyConv2d(out_channels, 1, 1, 0)), ("relu1", nn.ReLU(inplace=True)),
        ("mlp2", nn.LazyConv2d(out_channels, (1, 1))), ("relu2", nn.ReLU(inplace=True))]))
"""

MUTANTS = {
    "1x1 convolutions with the stride": (book("nn.LazyConv2d(out_channels, kernel_size=1)",
                                              "nn.LazyConv2d(out_channels, kernel_size=1, stride=strides)", 2),
                                         ["test_output_shapes"], ["move with the stride too", "only the first"]),
    "1x1 convolutions with kernel_size": (book("nn.LazyConv2d(out_channels, kernel_size=1)",
                                               "nn.LazyConv2d(out_channels, kernel_size, padding=padding)", 2),
                                          ["test_output_shapes", "test_parameter_count"], ["only the first"]),
    "1x1 convolutions padded": (book("nn.LazyConv2d(out_channels, kernel_size=1)",
                                     "nn.LazyConv2d(out_channels, kernel_size=1, padding=padding)", 2),
                                ["test_output_shapes"], ["padded"]),
    "strides and padding swapped": (book("nn.LazyConv2d(out_channels, kernel_size, strides, padding)",
                                         "nn.LazyConv2d(out_channels, kernel_size, padding, strides)"),
                                    ["test_output_shapes"], ["swapped"]),
    "no ReLU after the last 1x1 convolution": (book("""        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())""",
                                                    """        nn.LazyConv2d(out_channels, kernel_size=1))"""),
                                               ["test_values"], ["ReLU after the last 1x1 convolution is missing"]),
    "one ReLU, at the end": ("""
def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding),
        nn.LazyConv2d(out_channels, kernel_size=1),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())
""", ["test_values"], ["only one ReLU"]),
    "one 1x1 convolution": ("""
def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())
""", ["test_parameter_count", "test_values"], ["Missing or different: 1x1 conv"]),
    "the stride ignored": (book("nn.LazyConv2d(out_channels, kernel_size, strides, padding)",
                                "nn.LazyConv2d(out_channels, kernel_size, padding=padding)"),
                           ["test_output_shapes"], ["stride is ignored"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_3_1)


def test_a_module_of_its_own_gets_full_marks():
    assert_full_marks(EX, MODULE)


def test_named_layers_get_full_marks():
    assert_full_marks(EX, NAMED)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
