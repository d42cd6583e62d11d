"""ch11-DotProductAttention's grader: reference full marks, the book's class full marks, correct alternatives full
marks, stub zero, every classic mistake loses points with a message that names it."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch11-DotProductAttention"

# the book's listing (PyTorch tab), d2l.Module -> nn.Module
BOOK_11_3 = '''
class DotProductAttention(nn.Module):  #@save
    """Scaled dot product attention."""
    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    # Shape of queries: (batch_size, no. of queries, d)
    # Shape of keys: (batch_size, no. of key-value pairs, d)
    # Shape of values: (batch_size, no. of key-value pairs, value dimension)
    # Shape of valid_lens: (batch_size,) or (batch_size, no. of queries)
    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        # Swap the last two dimensions of keys with keys.transpose(1, 2)
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)
'''
SCORES = "        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)"
WEIGHTS = "        self.attention_weights = masked_softmax(scores, valid_lens)"
OUTPUT = "        return torch.bmm(self.dropout(self.attention_weights), values)"


def variant(old, new):
    assert old in BOOK_11_3, old
    return BOOK_11_3.replace(old, new)


ALTERNATIVES = {
    "matmul, mT and a tensor scale": variant(SCORES, "        scores = queries @ keys.mT / torch.tensor(d).sqrt()")
    .replace(OUTPUT, "        return self.dropout(self.attention_weights) @ values"),
    "einsum, scaled queries": variant(SCORES, """\
        scores = torch.einsum("bqd,bkd->bqk", queries / d ** 0.5, keys)""").replace(
        OUTPUT, '        return torch.einsum("bqk,bkv->bqv", self.dropout(self.attention_weights), values)'),
    "transpose(-1, -2), both scaled by d**0.25": variant(
        SCORES, "        scores = torch.matmul(queries / d ** 0.25, keys.transpose(-1, -2) / d ** 0.25)"),
}

MUTANTS = {
    "no scaling": (variant(SCORES, "        scores = torch.bmm(queries, keys.transpose(1, 2))"),
                   ["test_matches_torch", "test_one_valid_length_per_example"], ["not scaled", "sqrt(d)"]),
    "scaled by d": (variant(SCORES, "        scores = torch.bmm(queries, keys.transpose(1, 2)) / d"),
                    ["test_matches_torch", "test_one_valid_length_per_example"], ["divided by d", "square root"]),
    "keys reshaped instead of transposed": (
        variant(SCORES, "        scores = torch.bmm(queries, keys.reshape(keys.shape[0], d, -1)) / math.sqrt(d)"),
        ["test_matches_torch", "test_one_valid_length_per_example"], ["not a transpose"]),
    "keys transposed on the wrong axes": (
        variant(SCORES, "        scores = torch.bmm(queries, keys.transpose(0, 2)) / math.sqrt(d)"),
        ["test_matches_torch", "test_one_valid_length_per_example"], ["transpose(1, 2)"]),
    "softmax over the queries without a mask": (variant(WEIGHTS, """\
        if valid_lens is None:
            self.attention_weights = torch.softmax(scores, dim=1)
        else:
            self.attention_weights = masked_softmax(scores, valid_lens)"""),
        ["test_matches_torch"], ["dim=1", "queries"]),
    "valid_lens ignored": (variant(WEIGHTS, "        self.attention_weights = masked_softmax(scores, None)"),
                           ["test_one_valid_length_per_example", "test_one_valid_length_per_query"], ["not masked"]),
    "dropout also in eval mode": (variant(OUTPUT, """\
        p = self.dropout.p
        return torch.bmm(nn.functional.dropout(self.attention_weights, p), values)"""),
        ["test_dropout_only_in_training"], ["training=self.training"]),
    "no dropout": (variant(OUTPUT, "        return torch.bmm(self.attention_weights, values)"),
                   ["test_dropout_only_in_training"], ["nothing was dropped"]),
    "dropout on the output": (variant(OUTPUT, "        return self.dropout(torch.bmm(self.attention_weights, values))"),
                              ["test_dropout_only_in_training"], ["somewhere else"]),
    "weights stored after dropout": (variant(WEIGHTS + "\n" + OUTPUT, """\
        self.attention_weights = self.dropout(masked_softmax(scores, valid_lens))
        return torch.bmm(self.attention_weights, values)"""),
        ["test_attention_weights_stored"], ["before dropout"]),
    "weights not stored": (variant(WEIGHTS + "\n" + OUTPUT, """\
        weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(weights), values)"""),
        ["test_attention_weights_stored"], ["no attribute attention_weights"]),
    "calls F.scaled_dot_product_attention": (variant(OUTPUT, """\
        mask = None
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, queries.shape[1])
            mask = torch.arange(keys.shape[1], device=keys.device) < lens[..., None]
        return nn.functional.scaled_dot_product_attention(queries, keys, values, attn_mask=mask,
                                                          dropout_p=self.dropout.p if self.training else 0.0)"""),
        ["test_inputs_not_modified_and_written_from_scratch"], ["write yourself"]),
    "Python loop over the examples": (variant(SCORES, """\
        scores = torch.stack([queries[b] @ keys[b].T for b in range(queries.shape[0])]) / math.sqrt(d)""").replace(
        OUTPUT, """\
        dropped = self.dropout(self.attention_weights)
        return torch.stack([dropped[b] @ values[b] for b in range(values.shape[0])])"""),
        ["test_speed"], ["reference solution", "torch.bmm"]),
    "keys transposed in place": (variant(SCORES, "        scores = torch.bmm(queries, keys.transpose_(1, 2)) / math.sqrt(d)"),
                                 ["test_inputs_not_modified"], ["in place"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_3)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
