"""ch11-PositionalEncoding's grader: reference full marks, correct alternatives full marks, the book's listing loses
the odd-num_hiddens test only, stub zero, every realistic mistake loses points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch11-PositionalEncoding"

# the listing of book 11.6.3, d2l.zeros / d2l.arange written as torch.zeros / torch.arange
BOOK_11_6 = '''
class PositionalEncoding(nn.Module):  #@save
    """Positional encoding."""
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        # Create a long enough P
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(
            -1, 1) / torch.pow(10000, torch.arange(
            0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)
'''
# the lesson's rule for an odd num_hiddens, on top of the book's listing
FIXED = BOOK_11_6.replace("self.P[:, :, 1::2] = torch.cos(X)",
                          "self.P[:, :, 1::2] = torch.cos(X[:, :num_hiddens // 2])")


def variant(old, new, base=FIXED):
    assert base.count(old) == 1, old
    return base.replace(old, new)


ANGLES = '''X = torch.arange(max_len, dtype=torch.float32).reshape(
            -1, 1) / torch.pow(10000, torch.arange(
            0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)'''
FILL = '''self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X[:, :num_hiddens // 2])'''
ADD = "X = X + self.P[:, :X.shape[1], :].to(X.device)\n        return self.dropout(X)"

MUTANTS = {
    "exponent j / d instead of 2j / d": (
        variant("torch.arange(\n            0, num_hiddens, 2, dtype=torch.float32) / num_hiddens",
                "torch.arange(\n            (num_hiddens + 1) // 2, dtype=torch.float32) / num_hiddens"),
        ["test_table_for_even", "test_table_for_odd"], ["2j / num_hiddens"]),
    "sines and cosines swapped": (
        variant(FILL, "self.P[:, :, 0::2] = torch.cos(X)\n"
                      "        self.P[:, :, 1::2] = torch.sin(X[:, :num_hiddens // 2])"),
        ["test_table_for_even", "test_table_for_odd"], ["other way round"]),
    "all sines, then all cosines": (
        variant(FILL, "self.P[0] = torch.cat([torch.sin(X), torch.cos(X[:, :num_hiddens // 2])], dim=1)"),
        ["test_table_for_even", "test_table_for_odd"], ["interleaves"]),
    "positions counted from 1": (
        variant("torch.arange(max_len, dtype=torch.float32)", "torch.arange(1, max_len + 1, dtype=torch.float32)"),
        ["test_table_for_even", "test_table_for_odd"], ["start at 0"]),
    "odd num_hiddens: the table of num_hiddens + 1 columns, cut": (variant(ANGLES + "\n        " + FILL, '''\
d = num_hiddens + num_hiddens % 2
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, d, 2, dtype=torch.float32) / d)
        P = torch.zeros((1, max_len, d))
        P[:, :, 0::2] = torch.sin(X)
        P[:, :, 1::2] = torch.cos(X)
        self.P = P[:, :, :num_hiddens]'''), ["test_table_for_odd"], ["num_hiddens itself"]),
    "odd num_hiddens: the last column left at 0": (variant(FILL, '''\
m = num_hiddens // 2
        self.P[:, :, 0:2 * m:2] = torch.sin(X[:, :m])
        self.P[:, :, 1::2] = torch.cos(X[:, :m])'''), ["test_table_for_odd"], ["is a sine as well"]),
    "the book's listing: odd num_hiddens fails": (BOOK_11_6, ["test_table_for_odd"], ["(num_hiddens + 1) / 2"]),
    "dropout before adding the table": (
        variant(ADD, "return self.dropout(X) + self.P[:, :X.shape[1], :].to(X.device)"),
        ["test_dropout_only_in_training"], ["before adding the table"]),
    "no dropout at all": (variant(ADD, "return X + self.P[:, :X.shape[1], :].to(X.device)"),
                          ["test_dropout_only_in_training"], ["dropped no element"]),
    "F.dropout also in eval mode": (
        variant(ADD, "return nn.functional.dropout(X + self.P[:, :X.shape[1], :].to(X.device), self.dropout.p)"),
        ["test_dropout_only_in_training", "test_adds_the_table"], ["training=self.training"]),
    "slices by the batch size": (variant("self.P[:, :X.shape[1], :]", "self.P[:, :X.shape[0], :]"),
                                 ["test_adds_the_table", "test_dropout_only_in_training"], ["axis 1"]),
    "adds in place": (variant(ADD, "X += self.P[:, :X.shape[1], :].to(X.device)\n        return self.dropout(X)"),
                      ["test_input_not_modified"], ["in place"]),
    "table left on the CPU": (variant(".to(X.device)", ""), ["test_result_keeps_dtype_and_device"], ["X.device"]),
    "float64 table": (
        variant("self.P = torch.zeros((1, max_len, num_hiddens))",
                "self.P = torch.zeros((1, max_len, num_hiddens), dtype=torch.float64)").replace(
            "dtype=torch.float32", "dtype=torch.float64"),
        ["test_result_keeps_dtype_and_device"], ["keeps X's dtype"]),
    "the table as an nn.Parameter": (
        variant(FILL, FILL + "\n        self.P = nn.Parameter(self.P)"),
        ["test_table_is_not_a_parameter"], ["not learned"]),
    "the output detached": (variant(ADD, ADD.replace("self.dropout(X)", "self.dropout(X).detach()")),
                            ["test_gradient_reaches_X"], ["torch operations"]),
}

# correct alternatives: another formula for the angles and a buffer; a column-wise table; float64 then float32
HARVARD = '''
class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, num_hiddens)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, num_hiddens, 2) * -(math.log(10000.0) / num_hiddens))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term[:num_hiddens // 2])
        self.register_buffer("P", pe.unsqueeze(0))

    def forward(self, x):
        return self.dropout(x + self.P[:, :x.size(1)])
'''
COLUMNS = '''
class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        c = torch.arange(num_hiddens)
        angles = torch.arange(max_len).reshape(-1, 1) / 10000 ** (2 * (c // 2) / num_hiddens)
        self.P = torch.where(c % 2 == 0, torch.sin(angles), torch.cos(angles)).unsqueeze(0).float()

    def forward(self, X):
        P = self.P[:, :X.shape[1]].to(device=X.device, dtype=X.dtype)
        return self.dropout(torch.add(X, P))
'''
DOUBLE = FIXED.replace("dtype=torch.float32", "dtype=torch.float64").replace(
    "self.P[:, :, 1::2] = torch.cos(X[:, :num_hiddens // 2])",
    "self.P[:, :, 1::2] = torch.cos(X[:, :num_hiddens // 2])\n        self.P = self.P.float()").replace(
    "self.P = torch.zeros((1, max_len, num_hiddens))",
    "self.P = torch.zeros((1, max_len, num_hiddens), dtype=torch.float64)")


def test_correct_alternatives_get_full_marks():
    for code in (FIXED, HARVARD, COLUMNS, DOUBLE):
        assert_full_marks(EX, code)


def test_book_listing_loses_only_the_odd_case():
    report = grade_code(EX, BOOK_11_6)
    assert set(failed(report)) == {"test_table_for_odd_num_hiddens"}, report.summary()
    assert report.score == report.max_score - 1.5, report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
