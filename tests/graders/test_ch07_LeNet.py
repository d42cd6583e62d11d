"""ch07-LeNet's grader: reference full marks, stub zero, the book's network and explicit layer sizes full marks, each
change to the architecture loses points with a message that names the layer."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-LeNet"

# the network of book 7.6, as printed, in an nn.Module (the book's d2l.Classifier keeps lr with
# save_hyperparameters; the lesson keeps it as self.lr)
BOOK_7_6 = """
class LeNet(nn.Module):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

    def forward(self, X):
        return self.net(X)
"""


def book(old, new, count=1):
    assert BOOK_7_6.count(old) == count, old
    return BOOK_7_6.replace(old, new)


MUTANTS = {
    "ReLU instead of sigmoid": (book("nn.Sigmoid()", "nn.ReLU()", 4), ["test_each_layer", "test_logits"],
                                ["sigmoid"]),
    "max pooling instead of average": (book("nn.AvgPool2d(", "nn.MaxPool2d(", 2), ["test_each_layer", "test_logits"],
                                       ["average pooling"]),
    "first convolution without padding": (book("nn.LazyConv2d(6, kernel_size=5, padding=2)",
                                               "nn.LazyConv2d(6, kernel_size=5)"),
                                          ["test_layer_output_shapes", "test_parameter_shapes"], ["padding=2"]),
    "num_classes ignored": (book("nn.LazyLinear(num_classes)", "nn.LazyLinear(10)"), ["test_num_classes"],
                            ["num_classes"]),
    "softmax after the last layer": (book("nn.LazyLinear(num_classes))", "nn.LazyLinear(num_classes), nn.Softmax(dim=1))"),
                                     ["test_layer_output_shapes", "test_logits"], ["logits"]),
    "no sigmoid after the first linear layer": (book("nn.LazyLinear(120), nn.Sigmoid(),", "nn.LazyLinear(120),"),
                                                ["test_layer_output_shapes", "test_each_layer"], ["nn.Sigmoid()"]),
    "pooling at stride 1": (book("nn.AvgPool2d(kernel_size=2, stride=2),\n            nn.LazyConv2d(16",
                                 "nn.AvgPool2d(kernel_size=2, stride=1),\n            nn.LazyConv2d(16"),
                            ["test_layer_output_shapes", "test_parameter_shapes"], ["stride=2"]),
    "hidden layers of 84 and 120 (swapped)": (book("nn.LazyLinear(120), nn.Sigmoid(),\n            nn.LazyLinear(84)",
                                                   "nn.LazyLinear(84), nn.Sigmoid(),\n            nn.LazyLinear(120)"),
                                              ["test_layer_output_shapes", "test_parameter_shapes"], ["120, 84"]),
    "no nn.Flatten()": (book("            nn.Flatten(),\n", ""), ["test_layer_output_shapes", "test_parameter_shapes"],
                        ["nn.Flatten()"]),
}


def test_book_network_gets_full_marks():
    assert_full_marks(EX, BOOK_7_6)


def test_explicit_sizes_get_full_marks():
    assert_full_marks(EX, """
class LeNet(nn.Module):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, num_classes))

    def forward(self, X):
        return self.net(X)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
