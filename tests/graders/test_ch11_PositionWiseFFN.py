"""ch11-PositionWiseFFN's grader: reference and the book's listing full marks, correct alternatives full marks, stub
zero, every realistic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch11-PositionWiseFFN"

# the listing of book 11.7.2, as printed
BOOK_11_7_2 = '''
class PositionWiseFFN(nn.Module):  #@save
    """The positionwise feed-forward network."""
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))
'''
FORWARD = "return self.dense2(self.relu(self.dense1(X)))"


def variant(old, new):
    assert BOOK_11_7_2.count(old) == 1, old
    return BOOK_11_7_2.replace(old, new)


MUTANTS = {
    "no ReLU": (variant(FORWARD, "return self.dense2(self.dense1(X))"),
                ["test_matches_dense_relu_dense", "test_float64"], ["put the ReLU between"]),
    "ReLU after the second layer too": (variant(FORWARD, "return self.relu(self.dense2(self.relu(self.dense1(X))))"),
                                        ["test_matches_dense_relu_dense"], ["not after dense2"]),
    "ReLU on the input": (variant(FORWARD, "return self.dense2(self.dense1(self.relu(X)))"),
                          ["test_matches_dense_relu_dense"], ["not to X"]),
    "sigmoid instead of ReLU": (variant("self.relu = nn.ReLU()", "self.relu = nn.Sigmoid()"),
                                ["test_matches_dense_relu_dense"], ["not a sigmoid"]),
    "layer sizes swapped": (
        variant("self.dense1 = nn.LazyLinear(ffn_num_hiddens)", "self.dense1 = nn.LazyLinear(ffn_num_outputs)").replace(
            "self.dense2 = nn.LazyLinear(ffn_num_outputs)", "self.dense2 = nn.LazyLinear(ffn_num_hiddens)"),
        ["test_layers_and_sizes", "test_matches_dense_relu_dense"], ["dense1 has ffn_num_hiddens outputs"]),
    "no biases": (variant("nn.LazyLinear(ffn_num_hiddens)", "nn.LazyLinear(ffn_num_hiddens, bias=False)").replace(
        "nn.LazyLinear(ffn_num_outputs)", "nn.LazyLinear(ffn_num_outputs, bias=False)"),
        ["test_layers_and_sizes"], ["biases"]),
    "reshaped to three axes": (variant(FORWARD, """B, n, d = X.shape
        Y = self.dense2(self.relu(self.dense1(X.reshape(B * n, d))))
        return Y.reshape(B, n, -1)"""), ["test_any_number_of_leading_axes"], ["last axis"]),
    "dropout inside the FFN": (variant("self.relu = nn.ReLU()",
                                       "self.relu = nn.Sequential(nn.ReLU(), nn.Dropout(0.1))"),
                               ["test_matches_dense_relu_dense"], ["no dropout"]),
    "the output detached": (variant(FORWARD, FORWARD + ".detach()"), ["test_gradients"], ["detach"]),
}

FUNCTIONAL = '''
class PositionWiseFFN(nn.Module):
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        H = torch.clamp(self.dense1(X), min=0)
        return self.dense2(H)
'''
INPLACE_RELU = variant("self.relu = nn.ReLU()", "self.relu = nn.ReLU(inplace=True)")
F_RELU = variant(FORWARD, "return self.dense2(torch.nn.functional.relu(self.dense1(X)))")


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_7_2)


def test_correct_alternatives_get_full_marks():
    for code in (FUNCTIONAL, INPLACE_RELU, F_RELU):
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
