"""ch08-DenseBlock's grader: reference full marks, stub zero, the book's listing and other sound blocks full marks,
every realistic mistake loses points with a message that names it. (The lesson's conv_block is the instructor's
while DenseBlock is graded.)"""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-DenseBlock"

# the listing of book 8.7.2 (PyTorch), as printed
BOOK_8_7_2 = """
class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X
"""


def book(old, new):
    assert BOOK_8_7_2.count(old) == 1, old
    return BOOK_8_7_2.replace(old, new)


# a ModuleList, the outputs gathered in a list and concatenated each time
LISTED = """
class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super().__init__()
        self.blocks = nn.ModuleList(conv_block(num_channels) for _ in range(num_convs))

    def forward(self, X):
        features = [X]
        for blk in self.blocks:
            features.append(blk(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)
"""

# the conv blocks written out, not through conv_block
INLINE = """
class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super().__init__()
        for i in range(num_convs):
            self.add_module(f"layer{i}", nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(),
                                                       nn.LazyConv2d(num_channels, 3, padding=1)))

    def forward(self, X):
        for layer in self.children():
            X = torch.concat([X, layer(X)], dim=-3)
        return X
"""

MUTANTS = {
    "adds instead of concatenating": (book("X = torch.cat((X, Y), dim=1)", "X = X + Y"),
                                      ["test_output_shapes", "test_parameter_count"], ["concatenat", "do not add"]),
    "concatenated on the batch dimension": (book("X = torch.cat((X, Y), dim=1)", "X = torch.cat((X, Y))"),
                                            ["test_output_shapes"], ["dim=1", "batch"]),
    "returns the last output only": (book("""            X = torch.cat((X, Y), dim=1)
        return X""", """            X = torch.cat((X, Y), dim=1)
        return Y"""), ["test_output_shapes"], ["last conv block's output"]),
    "output before the input": (book("X = torch.cat((X, Y), dim=1)", "X = torch.cat((Y, X), dim=1)"),
                                ["test_values"], ["before the input"]),
    "every block fed the block's input": (book("""        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X""", """        out = X
        for blk in self.net:
            Y = blk(X)
            out = torch.cat((out, Y), dim=1)
        return out"""), ["test_parameter_count", "test_values"], ["reads in_channels + i * num_channels"]),
    "each block fed only the previous output": (book("""        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X""", """        outputs, Y = [X], X
        for blk in self.net:
            Y = blk(Y)
            outputs.append(Y)
        return torch.cat(outputs, dim=1)"""), ["test_parameter_count", "test_values"], ["everything concatenated"]),
    "blocks in a plain list": (book("""        self.net = nn.Sequential(*layer)""", """        self.net = layer"""),
                               ["test_parameter_count", "test_values", "test_gradients"], ["plain Python list"]),
    "one conv block repeated": (book("""        for i in range(num_convs):
            layer.append(conv_block(num_channels))""", """        blk = conv_block(num_channels)
        for i in range(num_convs):
            layer.append(blk)"""), ["test_output_shapes"], ["each conv block reads everything so far"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_8_7_2)


def test_a_list_of_features_gets_full_marks():
    assert_full_marks(EX, LISTED)


def test_inline_conv_blocks_get_full_marks():
    assert_full_marks(EX, INLINE)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
