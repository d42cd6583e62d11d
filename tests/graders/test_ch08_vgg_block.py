"""ch08-vgg_block's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-vgg_block"

# the listing of book 8.2.1 (PyTorch), as printed
BOOK_8_2_1 = """
def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2,stride=2))
    return nn.Sequential(*layers)
"""


def book(old, new):
    assert BOOK_8_2_1.count(old) == 1, old
    return BOOK_8_2_1.replace(old, new)


# a module of its own: convolutions in a ModuleList, functional ReLU and pooling
MODULE = """
import torch.nn.functional as F

class _VGGBlock(nn.Module):
    def __init__(self, num_convs, out_channels):
        super().__init__()
        self.convs = nn.ModuleList([nn.LazyConv2d(out_channels, 3, 1, 1) for _ in range(num_convs)])

    def forward(self, X):
        for conv in self.convs:
            X = F.relu(conv(X))
        return F.max_pool2d(X, 2)

def vgg_block(num_convs, out_channels):
    return _VGGBlock(num_convs, out_channels)
"""

# named layers added one by one, in-place ReLUs, the pooling's stride left to its default (= kernel size)
NAMED = """
def vgg_block(num_convs, out_channels):
    blk = nn.Sequential()
    for i in range(num_convs):
        blk.add_module(f"conv{i}", nn.LazyConv2d(out_channels, kernel_size=(3, 3), padding="same"))
        blk.add_module(f"relu{i}", nn.ReLU(inplace=True))
    blk.add_module("pool", nn.MaxPool2d(2))
    return blk
"""

MUTANTS = {
    "no padding": (book("kernel_size=3, padding=1)", "kernel_size=3)"),
                   ["test_output_shapes"], ["padding=1"]),
    "no ReLU": (book("        layers.append(nn.ReLU())\n", ""),
                ["test_values"], ["ReLUs are missing"]),
    "one ReLU, after the last convolution": (book(
        "        layers.append(nn.ReLU())\n", "").replace("    layers.append(nn.MaxPool2d", "    layers.append(nn.ReLU())\n"
                                                                                       "    layers.append(nn.MaxPool2d"),
        ["test_values"], ["after the last convolution only"]),
    "pooling with stride 1": (book("nn.MaxPool2d(kernel_size=2,stride=2)", "nn.MaxPool2d(kernel_size=2, stride=1)"),
                              ["test_output_shapes"], ["stride=2"]),
    "no pooling": (book("    layers.append(nn.MaxPool2d(kernel_size=2,stride=2))\n", ""),
                   ["test_output_shapes"], ["max-pooling is missing"]),
    "average pooling": (book("nn.MaxPool2d(kernel_size=2,stride=2)", "nn.AvgPool2d(kernel_size=2, stride=2)"),
                        ["test_values"], ["average pooling"]),
    "pooling after every convolution": (book("""        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2,stride=2))""", """        layers.append(nn.ReLU())
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))"""),
        ["test_output_shapes", "test_parameter_count"], ["after every convolution", "shrinks its input faster"]),
    "one convolution object repeated": ("""
def vgg_block(num_convs, out_channels):
    layers = [nn.LazyConv2d(out_channels, kernel_size=3, padding=1), nn.ReLU()] * num_convs
    return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=2, stride=2))
""", ["test_output_shapes", "test_parameter_count", "test_values", "test_gradients"], ["one and the same"]),
    "a list, not a module": ("""
def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers += [nn.LazyConv2d(out_channels, kernel_size=3, padding=1), nn.ReLU()]
    return layers + [nn.MaxPool2d(kernel_size=2, stride=2)]
""", ["test_output_shapes", "test_parameter_count", "test_values", "test_gradients"], ["nn.Sequential(*layers)"]),
    "convolutions without bias": (book("kernel_size=3, padding=1)", "kernel_size=3, padding=1, bias=False)"),
                                  ["test_parameter_count", "test_values"], ["(no bias)"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_2_1)


def test_a_module_of_its_own_gets_full_marks():
    assert_full_marks(EX, MODULE)


def test_named_layers_get_full_marks():
    assert_full_marks(EX, NAMED)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
