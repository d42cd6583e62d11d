"""ch11-MultiHeadAttention's grader: reference full marks, the book's class full marks, stub zero, every
classic mistake loses points."""

from .proving import assert_full_marks, standard_proofs

EX = "ch11-MultiHeadAttention"

# the book's listing, with d2l.Module -> nn.Module and d2l.DotProductAttention -> the lesson's DotProductAttention
BOOK_11_5 = """
class MultiHeadAttention(nn.Module):  #@save
    \"\"\"Multi-head attention.\"\"\"
    def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__()
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            # On axis 0, copy the first item (scalar or vector) for num_heads
            # times, then copy the next item, and so on
            valid_lens = torch.repeat_interleave(
                valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        output_concat = self.transpose_output(output)
        return self.W_o(output_concat)

    def transpose_qkv(self, X):
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)
"""
ATTEND = "        output = self.attention(queries, keys, values, valid_lens)"


def variant(old, new):
    assert old in BOOK_11_5, old
    return BOOK_11_5.replace(old, new)


TRANSPOSE_OUTPUT = """        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)"""
TRANSPOSE_QKV = """        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])"""

MUTANTS = {
    "repeat instead of repeat_interleave": (
        variant("""torch.repeat_interleave(
                valid_lens, repeats=self.num_heads, dim=0)""",
                "valid_lens.repeat(self.num_heads, *[1] * (valid_lens.dim() - 1))"),
        ["test_one_valid_length_per_example", "test_one_valid_length_per_query"],
        ["repeat_interleave", "wrong examples"]),
    "heads split without the permute": (
        variant(TRANSPOSE_QKV, "        return X.reshape(-1, X.shape[1], X.shape[2] // self.num_heads)").replace(
            TRANSPOSE_OUTPUT, "        return X.reshape(-1, X.shape[1], X.shape[2] * self.num_heads)"),
        ["test_transpose_qkv", "test_transpose_output", "test_matches_torch"], ["without the permute"]),
    "transpose_output without the permute": (
        variant(TRANSPOSE_OUTPUT, "        return X.reshape(-1, X.shape[1], X.shape[2] * self.num_heads)"),
        ["test_transpose_output", "test_matches_torch"], ["transpose_output must undo transpose_qkv"]),
    "no output projection": (
        variant("return self.W_o(output_concat)", "return output_concat"),
        ["test_matches_torch", "test_one_valid_length_per_example"], ["W_o"]),
    "valid_lens not passed on": (
        variant(ATTEND, "        output = self.attention(queries, keys, values, None)"),
        ["test_one_valid_length_per_example", "test_one_valid_length_per_query"], ["not masked"]),
    "scaled by sqrt(num_hiddens)": (variant(ATTEND, """\
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1] * self.num_heads)
        output = torch.bmm(self.attention.dropout(masked_softmax(scores, valid_lens)), values)"""),
        ["test_matches_torch", "test_one_valid_length_per_example"], ["sqrt(num_hiddens)", "per-head size"]),
    "W_k and W_v swapped": (
        variant("keys = self.transpose_qkv(self.W_k(keys))", "keys = self.transpose_qkv(self.W_v(keys))").replace(
            "values = self.transpose_qkv(self.W_v(values))", "values = self.transpose_qkv(self.W_k(values))"),
        ["test_matches_torch", "test_one_valid_length_per_example"], ["W_k the keys"]),
    "dropout also in eval mode": (variant(ATTEND, """\
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])
        p = self.attention.dropout.p
        output = torch.bmm(nn.functional.dropout(masked_softmax(scores, valid_lens), p), values)"""),
        ["test_dropout_only_in_training"], ["training=self.training"]),
    "no dropout in training": (variant(ATTEND, """\
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])
        output = torch.bmm(masked_softmax(scores, valid_lens), values)"""),
        ["test_dropout_only_in_training"], ["not dropped out"]),
    "calls F.scaled_dot_product_attention": (variant(ATTEND, """\
        mask = None
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, queries.shape[1])
            mask = torch.arange(keys.shape[1], device=keys.device) < lens[..., None]
        output = self.attention.dropout(
            nn.functional.scaled_dot_product_attention(queries, keys, values, attn_mask=mask))"""),
        ["test_inputs_not_modified_and_written_from_scratch"], ["write yourself"]),
    "calls the aten math kernel": (variant(ATTEND, """\
        mask = None
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, queries.shape[1])
            mask = torch.arange(keys.shape[1], device=keys.device) < lens[..., None]
            mask = torch.where(mask, 0.0, -1e6)   # the private kernel takes an additive mask
        output = torch.ops.aten._scaled_dot_product_attention_math(queries, keys, values, attn_mask=mask)[0]"""),
        ["test_inputs_not_modified_and_written_from_scratch"], ["write yourself"]),
    "detaches the heads": (
        variant("return self.W_o(output_concat)", "return self.W_o(output_concat.detach())"),
        ["test_gradients"], ["differentiable"]),
    "python loop over rows and queries": (variant(ATTEND, """\
        output = torch.zeros_like(queries[..., :1].expand(-1, -1, values.shape[-1]))
        d = queries.shape[-1]
        for r in range(queries.shape[0]):
            for i in range(queries.shape[1]):
                s = (queries[r, i] @ keys[r].T) / math.sqrt(d)
                if valid_lens is not None:
                    n = int(valid_lens[r] if valid_lens.dim() == 1 else valid_lens[r, i])
                    s = torch.cat([s[:n], torch.full_like(s[n:], -1e6)])
                output[r, i] = self.attention.dropout(torch.softmax(s, -1)) @ values[r]"""),
        ["test_speed"], ["reference solution"]),
}



def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_5)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
