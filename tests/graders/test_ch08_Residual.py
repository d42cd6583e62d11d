"""ch08-Residual's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-Residual"

# the listing of book 8.6.2 (PyTorch), as printed
BOOK_8_6_2 = """
class Residual(nn.Module):  #@save
    \"\"\"The Residual block of ResNet models.\"\"\"
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)
"""


def book(old, new):
    assert BOOK_8_6_2.count(old) == 1, old
    return BOOK_8_6_2.replace(old, new)


# the main path as one nn.Sequential, an nn.Identity shortcut, batch norms with explicit channels
SEQUENTIAL = """
class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.body = nn.Sequential(
            nn.LazyConv2d(num_channels, 3, stride=strides, padding=1), nn.BatchNorm2d(num_channels), nn.ReLU(),
            nn.LazyConv2d(num_channels, 3, padding=1), nn.BatchNorm2d(num_channels))
        self.shortcut = nn.LazyConv2d(num_channels, 1, stride=strides) if use_1x1conv else nn.Identity()

    def forward(self, X):
        return torch.relu(self.body(X) + self.shortcut(X))
"""

# batch norms registered first, in the opposite order of their use
REORDERED = """
class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.norm_b, self.norm_a = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        self.proj = nn.LazyConv2d(num_channels, 1, stride=strides) if use_1x1conv else None
        self.second = nn.LazyConv2d(num_channels, 3, padding=1)
        self.first = nn.LazyConv2d(num_channels, 3, padding=1, stride=strides)

    def forward(self, X):
        Y = self.norm_b(self.second(F.relu(self.norm_a(self.first(X)))))
        return F.relu(Y + (self.proj(X) if self.proj is not None else X))
"""

MUTANTS = {
    "use_1x1conv ignored": (book("""        if self.conv3:
            X = self.conv3(X)
""", ""), ["test_output_shapes", "test_values"], ["1x1 conv", "num_channels channels"]),
    "shortcut 1x1 conv without the stride": (book("""            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)""", """            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1)"""),
        ["test_output_shapes", "test_values"], ["shrink alike", "stride=strides"]),
    "stride in both 3x3 convolutions": (book("self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)",
                                             "self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, "
                                             "stride=strides)"),
                                        ["test_output_shapes", "test_values"], ["conv2 keeps stride 1"]),
    "no shortcut": (book("        Y += X\n", ""), ["test_values"], ["shortcut is missing"]),
    "ReLU before the addition": (book("""        Y += X
        return F.relu(Y)""", """        return F.relu(Y) + X"""), ["test_values"], ["ReLU comes before the addition"]),
    "no final ReLU": (book("return F.relu(Y)", "return Y"), ["test_values"], ["last ReLU is missing"]),
    "batch norm after the ReLU": (book("Y = F.relu(self.bn1(self.conv1(X)))", "Y = self.bn1(F.relu(self.conv1(X)))"),
                                  ["test_values"], ["swapped"]),
    "one batch norm used twice": (book("""        self.bn2 = nn.LazyBatchNorm2d()
""", "").replace("Y = self.bn2(self.conv2(Y))", "Y = self.bn1(self.conv2(Y))"),
        ["test_parameter_count", "test_values"], ["two batch norms"]),
    "batch norm on the shortcut": (book("""            X = self.conv3(X)""", """            X = self.bn3(self.conv3(X))""").replace(
        "        self.bn2 = nn.LazyBatchNorm2d()\n",
        "        self.bn2 = nn.LazyBatchNorm2d()\n        self.bn3 = nn.LazyBatchNorm2d()\n"),
        ["test_parameter_count", "test_values"], ["no batch norm after it"]),
    "adds into the input in place": (book("""        Y += X
        return F.relu(Y)""", """        X += Y
        return F.relu(X)"""), ["test_values"], ["in place"]),
    "batch norms without running statistics": (book("""        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()""", """        self.bn1 = nn.LazyBatchNorm2d(track_running_stats=False)
        self.bn2 = nn.LazyBatchNorm2d(track_running_stats=False)"""),
        ["test_parameter_count", "test_batch_norm"], ["running statistics"]),
    "evaluation mode forced to batch statistics": (book("""        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))""", """        self.bn1.train()
        self.bn2.train()
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))"""), ["test_batch_norm"], ["batch's own statistics"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_6_2)


def test_sequential_body_and_identity_shortcut_get_full_marks():
    assert_full_marks(EX, SEQUENTIAL)


def test_other_names_and_registration_order_get_full_marks():
    assert_full_marks(EX, REORDERED)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
