"""ch11-TransformerEncoderBlock's grader: reference and the book's listing full marks, correct alternatives full
marks, stub zero, every realistic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch11-TransformerEncoderBlock"

# the listing of book 11.7.4, d2l.MultiHeadAttention written as the lesson's MultiHeadAttention
BOOK_11_7_4 = '''
class TransformerEncoderBlock(nn.Module):  #@save
    """The Transformer encoder block."""
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout,
                 use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads,
                                            dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))
'''
FIRST = "Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))"
SECOND = "return self.addnorm2(Y, self.ffn(Y))"


def variant(old, new):
    assert BOOK_11_7_4.count(old) == 1, old
    return BOOK_11_7_4.replace(old, new)


MUTANTS = {
    "valid_lens not passed on": (variant(FIRST, "Y = self.addnorm1(X, self.attention(X, X, X, None))"),
                                 ["test_one_valid_length_per_example", "test_one_valid_length_per_query"],
                                 ["pass valid_lens"]),
    "the FFN reads X": (variant(SECOND, "return self.addnorm2(Y, self.ffn(X))"),
                        ["test_matches_torch", "test_one_valid_length_per_example"], ["the ffn reads y"]),
    "the second residual adds X": (variant(SECOND, "return self.addnorm2(X, self.ffn(Y))"),
                                   ["test_matches_torch", "test_one_valid_length_per_example"], ["adds Y"]),
    "no FFN sublayer": (variant(SECOND, "return Y"), ["test_matches_torch"], ["two sublayers"]),
    "addnorm1 used twice": (variant(SECOND, "return self.addnorm1(Y, self.ffn(Y))"),
                            ["test_matches_torch", "test_gradients"], ["its own AddNorm"]),
    "pre-norm": (variant(FIRST + "\n        " + SECOND,
                         """Y = X + self.attention(*[self.addnorm1.ln(X)] * 3, valid_lens)
        return Y + self.ffn(self.addnorm2.ln(Y))"""), ["test_matches_torch"], ["post-norm"]),
    "FFN sizes swapped": (variant("PositionWiseFFN(ffn_num_hiddens, num_hiddens)",
                                  "PositionWiseFFN(num_hiddens, ffn_num_hiddens)"),
                          ["test_sublayers_and_sizes", "test_matches_torch"], ["ffn_num_hiddens units"]),
    "use_bias not passed on": (variant("dropout, use_bias)", "dropout)"), ["test_use_bias"], ["pass use_bias"]),
    "AddNorm's arguments swapped": (
        variant(FIRST, "Y = self.addnorm1(self.attention(X, X, X, valid_lens), X)").replace(
            SECOND, "return self.addnorm2(self.ffn(Y), Y)"),
        ["test_dropout_only_in_training"], ["X gets dropped"]),
    "one AddNorm object for both": (variant("self.addnorm2 = AddNorm(num_hiddens, dropout)",
                                            "self.addnorm2 = self.addnorm1"),
                                    ["test_sublayers_and_sizes", "test_matches_torch"], ["two AddNorm layers"]),
    "no dropout in the AddNorms": (variant("self.addnorm1 = AddNorm(num_hiddens, dropout)",
                                           "self.addnorm1 = AddNorm(num_hiddens, 0.0)").replace(
        "self.addnorm2 = AddNorm(num_hiddens, dropout)", "self.addnorm2 = AddNorm(num_hiddens, 0.0)"),
        ["test_sublayers_and_sizes"], ["pass the block's dropout"]),
    "attention through F.scaled_dot_product_attention": (variant(FIRST, """a = self.attention
        q, k, v = (a.transpose_qkv(W(X)) for W in (a.W_q, a.W_k, a.W_v))
        mask = None
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, X.shape[1])
            lens = torch.repeat_interleave(lens, a.num_heads, dim=0)
            mask = torch.arange(X.shape[1], device=X.device) < lens[..., None]
        att = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        Y = self.addnorm1(X, a.W_o(a.transpose_output(att)))"""),
        ["test_inputs_not_modified_and_written_from_scratch"], ["write yourself"]),
    "the first sublayer detached": (variant(FIRST, FIRST + ".detach()"), ["test_gradients"], ["detach"]),
}

KEYWORDS = '''
class TransformerEncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias=use_bias)
        self.addnorm1 = AddNorm(norm_shape=num_hiddens, dropout=dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens=ffn_num_hiddens, ffn_num_outputs=num_hiddens)
        self.addnorm2 = AddNorm(norm_shape=num_hiddens, dropout=dropout)

    def forward(self, X, valid_lens=None):
        attended = self.attention(X, X, X, valid_lens=valid_lens)
        Y = self.addnorm1(X=X, Y=attended)
        return self.addnorm2(X=Y, Y=self.ffn(Y))
'''
SUBLAYERS = '''
class TransformerEncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm1, self.addnorm2 = AddNorm(num_hiddens, dropout), AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        sublayers = [(lambda Z: self.attention(Z, Z, Z, valid_lens), self.addnorm1), (self.ffn, self.addnorm2)]
        for sublayer, add_norm in sublayers:
            X = add_norm(X, sublayer(X))
        return X
'''


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_7_4)


def test_correct_alternatives_get_full_marks():
    for code in (KEYWORDS, SUBLAYERS):
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
