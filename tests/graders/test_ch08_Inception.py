"""ch08-Inception's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-Inception"

# the listing of book 8.4.1 (PyTorch), as printed
BOOK_8_4_1 = """
class Inception(nn.Module):
    # c1--c4 are the number of output channels for each branch
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        # Branch 1
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        # Branch 2
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        # Branch 3
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        # Branch 4
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)
"""


def book(old, new):
    assert BOOK_8_4_1.count(old) == 1, old
    return BOOK_8_4_1.replace(old, new)


# each branch an nn.Sequential, registered last branch first; torch.concat on dim=-3
BRANCHES = """
class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4):
        super().__init__()
        self.pool_branch = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.LazyConv2d(c4, 1), nn.ReLU())
        self.conv5 = nn.Sequential(nn.LazyConv2d(c3[0], 1), nn.ReLU(), nn.LazyConv2d(c3[1], 5, padding=2), nn.ReLU())
        self.conv3 = nn.Sequential(nn.LazyConv2d(c2[0], 1), nn.ReLU(), nn.LazyConv2d(c2[1], 3, padding=1), nn.ReLU())
        self.conv1 = nn.Sequential(nn.LazyConv2d(c1, 1), nn.ReLU())

    def forward(self, x):
        outs = [self.conv1(x), self.conv3(x), self.conv5(x), self.pool_branch(x)]
        return torch.concat(outs, dim=-3)
"""

# the branches in a ModuleList, F.max_pool2d in forward, padding="same"
LISTED = """
class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4):
        super().__init__()
        self.reduce = nn.ModuleList([nn.LazyConv2d(c, 1) for c in (c1, c2[0], c3[0])])
        self.spatial = nn.ModuleList([nn.LazyConv2d(c2[1], 3, padding="same"), nn.LazyConv2d(c3[1], 5, padding="same")])
        self.proj = nn.LazyConv2d(c4, 1)

    def forward(self, x):
        r1, r2, r3 = [torch.relu(conv(x)) for conv in self.reduce]
        b2, b3 = [torch.relu(conv(r)) for conv, r in zip(self.spatial, (r2, r3))]
        b4 = torch.relu(self.proj(F.max_pool2d(x, 3, stride=1, padding=1)))
        return torch.cat([r1, b2, b3, b4], 1)
"""

MUTANTS = {
    "concatenated on the batch dimension": (book("torch.cat((b1, b2, b3, b4), dim=1)", "torch.cat((b1, b2, b3, b4))"),
                                            ["test_output_shapes", "test_values"], ["dim=1", "batch"]),
    "branches in another order": (book("torch.cat((b1, b2, b3, b4), dim=1)", "torch.cat((b4, b3, b2, b1), dim=1)"),
                                  ["test_values"], ["in another order"]),
    "no ReLU after the reductions": (book("""        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))""", """        b2 = F.relu(self.b2_2(self.b2_1(x)))
        b3 = F.relu(self.b3_2(self.b3_1(x)))"""), ["test_values"], ["after their 1x1 reductions"]),
    "5x5 convolution with padding 1": (book("kernel_size=5, padding=2)", "kernel_size=5, padding=1)"),
                                       ["test_output_shapes", "test_values"], ["padding=2"]),
    "pooling with stride 2": (book("nn.MaxPool2d(kernel_size=3, stride=1, padding=1)",
                                   "nn.MaxPool2d(kernel_size=3, padding=1)"),
                              ["test_output_shapes", "test_values"], ["stride=1"]),
    "average pooling": (book("nn.MaxPool2d(kernel_size=3, stride=1, padding=1)",
                             "nn.AvgPool2d(kernel_size=3, stride=1, padding=1)"),
                        ["test_values"], ["max-pooling"]),
    "the pooling branch left out": (book("torch.cat((b1, b2, b3, b4), dim=1)", "torch.cat((b1, b2, b3), dim=1)"),
                                    ["test_output_shapes"], ["branch (2 channels) is missing"]),
    "3x3 conv with the reduction's channels": (book("nn.LazyConv2d(c2[1], kernel_size=3, padding=1)",
                                                    "nn.LazyConv2d(c2[0], kernel_size=3, padding=1)"),
                                               ["test_output_shapes", "test_parameter_count"], ["3x3 conv"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_4_1)


def test_branches_as_sequentials_get_full_marks():
    assert_full_marks(EX, BRANCHES)


def test_branches_in_lists_get_full_marks():
    assert_full_marks(EX, LISTED)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
