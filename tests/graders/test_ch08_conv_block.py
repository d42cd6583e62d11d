"""ch08-conv_block's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-conv_block"

# the listing of book 8.7.2 (PyTorch), as printed
BOOK_8_7_2 = """
def conv_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=3, padding=1))
"""


def book(old, new):
    assert BOOK_8_7_2.count(old) == 1, old
    return BOOK_8_7_2.replace(old, new)


# a module of its own, the convolution registered before the batch norm
MODULE = """
class _ConvBlock(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.conv = nn.LazyConv2d(num_channels, 3, padding="same")
        self.norm = nn.LazyBatchNorm2d()

    def forward(self, X):
        return self.conv(torch.relu(self.norm(X)))

def conv_block(num_channels):
    return _ConvBlock(num_channels)
"""

# named layers, an in-place ReLU
NAMED = """
from collections import OrderedDict

def conv_block(num_channels):
    return nn.Sequential(OrderedDict(bn=nn.LazyBatchNorm2d(eps=1e-5, momentum=0.1), act=nn.ReLU(inplace=True),
                                     conv=nn.LazyConv2d(num_channels, (3, 3), stride=1, padding=(1, 1))))
"""

MUTANTS = {
    "convolution first (ResNet's order)": ("""
def conv_block(num_channels):
    return nn.Sequential(nn.LazyConv2d(num_channels, kernel_size=3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU())
""", ["test_parameter_count", "test_values"], ["convolves first"]),
    "ReLU before the batch norm": (book("nn.LazyBatchNorm2d(), nn.ReLU(),", "nn.ReLU(), nn.LazyBatchNorm2d(),"),
                                   ["test_values"], ["ReLU before the batch norm"]),
    "no ReLU": (book("nn.LazyBatchNorm2d(), nn.ReLU(),", "nn.LazyBatchNorm2d(),"), ["test_values"],
                ["ReLU is missing"]),
    "no padding": (book("kernel_size=3, padding=1)", "kernel_size=3)"), ["test_output_shapes"], ["padding=1"]),
    "no batch norm": (book("nn.LazyBatchNorm2d(), nn.ReLU(),", "nn.ReLU(),"),
                      ["test_parameter_count", "test_values"], ["Missing or different: batch norm"]),
    "batch norm without running statistics": (book("nn.LazyBatchNorm2d()", "nn.LazyBatchNorm2d(track_running_stats=False)"),
                                              ["test_parameter_count", "test_batch_norm"], ["running statistics"]),
    "batch norm with momentum 0.9": (book("nn.LazyBatchNorm2d()", "nn.LazyBatchNorm2d(momentum=0.9)"),
                                     ["test_batch_norm"], ["running_mean", "momentum 0.1"]),
    "1x1 convolution": (book("kernel_size=3, padding=1)", "kernel_size=1)"), ["test_parameter_count"], ["3x3 conv"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_7_2)


def test_a_module_of_its_own_gets_full_marks():
    assert_full_marks(EX, MODULE)


def test_named_layers_get_full_marks():
    assert_full_marks(EX, NAMED)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
