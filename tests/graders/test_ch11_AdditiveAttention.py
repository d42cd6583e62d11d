"""ch11-AdditiveAttention's grader: reference full marks, the book's class full marks, correct alternatives full
marks, stub zero, every classic mistake loses points with a message that names it."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch11-AdditiveAttention"

# the book's listing (PyTorch tab), d2l.Module -> nn.Module
BOOK_11_3 = '''
class AdditiveAttention(nn.Module):  #@save
    """Additive attention."""
    def __init__(self, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # After dimension expansion, shape of queries: (batch_size, no. of
        # queries, 1, num_hiddens) and shape of keys: (batch_size, 1, no. of
        # key-value pairs, num_hiddens). Sum them up with broadcasting
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        # There is only one output of self.w_v, so we remove the last
        # one-dimensional entry from the shape. Shape of scores: (batch_size,
        # no. of queries, no. of key-value pairs)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        # Shape of values: (batch_size, no. of key-value pairs, value
        # dimension)
        return torch.bmm(self.dropout(self.attention_weights), values)
'''
PROJECT = "        queries, keys = self.W_q(queries), self.W_k(keys)"
FEATURES = "        features = queries.unsqueeze(2) + keys.unsqueeze(1)"
TANH = "        features = torch.tanh(features)"
SCORES = "        scores = self.w_v(features).squeeze(-1)"
WEIGHTS = "        self.attention_weights = masked_softmax(scores, valid_lens)"
OUTPUT = "        return torch.bmm(self.dropout(self.attention_weights), values)"


def variant(old, new):
    assert old in BOOK_11_3, old
    return BOOK_11_3.replace(old, new)


ALTERNATIVES = {
    "indexing with None, w_v weight by hand": variant(FEATURES, "        features = queries[:, :, None, :] + keys[:, None, :, :]")
    .replace(SCORES, "        scores = features @ self.w_v.weight[0]"),
    "einsum output, squeeze(3), F.dropout with training": variant(SCORES, "        scores = self.w_v(features).squeeze(3)")
    .replace(OUTPUT, '''        dropped = nn.functional.dropout(self.attention_weights, self.dropout.p, training=self.training)
        return torch.einsum("bqk,bkv->bqv", dropped, values)'''),
    "projections inside tanh": variant(PROJECT + "\n", "").replace(FEATURES, """\
        features = self.W_q(queries).unsqueeze(-2) + self.W_k(keys).unsqueeze(-3)""").replace(
        TANH, "        features = features.tanh()"),
}

MUTANTS = {
    "tanh missing": (variant(TANH + "\n", ""), ["test_matches_truth", "test_one_valid_length_per_example"], ["tanh"]),
    "relu instead of tanh": (variant(TANH, "        features = torch.relu(features)"),
                             ["test_matches_truth"], ["not relu"]),
    "W_q and W_k swapped": (variant(PROJECT, "        queries, keys = self.W_k(queries), self.W_q(keys)"),
                            ["test_matches_truth", "test_one_valid_length_per_example"], ["W_q projects the queries"]),
    "queries and keys broadcast the wrong way": (
        variant(FEATURES, "        features = queries.unsqueeze(1) + keys.unsqueeze(2)"),
        ["test_matches_truth", "test_one_valid_length_per_example"], ["unsqueeze(2)"]),
    "bare squeeze()": (variant(SCORES, "        scores = self.w_v(features).squeeze()"),
                       ["test_single_query_and_batch_of_one"], ["squeeze(-1)"]),
    "valid_lens ignored": (variant(WEIGHTS, "        self.attention_weights = masked_softmax(scores, None)"),
                           ["test_one_valid_length_per_example", "test_one_valid_length_per_query"], ["not masked"]),
    "dropout also in eval mode": (variant(OUTPUT, """\
        return torch.bmm(nn.functional.dropout(self.attention_weights, self.dropout.p), values)"""),
        ["test_dropout_only_in_training"], ["training=self.training"]),
    "weights stored after dropout": (variant(WEIGHTS + "\n", """\
        self.attention_weights = self.dropout(masked_softmax(scores, valid_lens))
""").replace(OUTPUT, "        return torch.bmm(self.attention_weights, values)"),
        ["test_attention_weights_stored"], ["before dropout"]),
    "features detached": (variant(TANH, "        features = torch.tanh(features).detach()"),
                          ["test_gradients"], ["no .detach()"]),
    "double loop over queries and keys": (variant(FEATURES, """\
        n, m = queries.shape[1], keys.shape[1]
        scores = torch.stack([torch.stack([self.w_v(torch.tanh(queries[:, i] + keys[:, j])).squeeze(-1)
                                           for j in range(m)], dim=-1) for i in range(n)], dim=1)""").replace(
        TANH + "\n", "").replace(SCORES + "\n", ""),
        ["test_speed"], ["reference solution", "broadcasting"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_3)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
