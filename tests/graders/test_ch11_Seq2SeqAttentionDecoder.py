"""ch11-Seq2SeqAttentionDecoder's grader: reference full marks, the book's class full marks, correct alternatives
full marks, stub zero, every classic mistake loses points with a message that names it."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch11-Seq2SeqAttentionDecoder"

# the book's listing (PyTorch tab): AttentionDecoder (d2l.Decoder) -> nn.Module, d2l.AdditiveAttention and
# d2l.init_seq2seq -> the lesson's AdditiveAttention and init_seq2seq
BOOK_11_4 = '''
class Seq2SeqAttentionDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size + num_hiddens, num_hiddens, num_layers,
            dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_outputs, enc_valid_lens):
        # Shape of outputs: (num_steps, batch_size, num_hiddens).
        # Shape of hidden_state: (num_layers, batch_size, num_hiddens)
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

    def forward(self, X, state):
        # Shape of enc_outputs: (batch_size, num_steps, num_hiddens).
        # Shape of hidden_state: (num_layers, batch_size, num_hiddens)
        enc_outputs, hidden_state, enc_valid_lens = state
        # Shape of the output X: (num_steps, batch_size, embed_size)
        X = self.embedding(X).permute(1, 0, 2)
        outputs, self._attention_weights = [], []
        for x in X:
            # Shape of query: (batch_size, 1, num_hiddens)
            query = torch.unsqueeze(hidden_state[-1], dim=1)
            # Shape of context: (batch_size, 1, num_hiddens)
            context = self.attention(
                query, enc_outputs, enc_outputs, enc_valid_lens)
            # Concatenate on the feature dimension
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            # Reshape x as (1, batch_size, embed_size + num_hiddens)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
            self._attention_weights.append(self.attention.attention_weights)
        # After fully connected layer transformation, shape of outputs:
        # (num_steps, batch_size, vocab_size)
        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state,
                                          enc_valid_lens]

    @property
    def attention_weights(self):
        return self._attention_weights
'''
QUERY = "            query = torch.unsqueeze(hidden_state[-1], dim=1)"
CAT = "            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)"
ATTEND = """            context = self.attention(
                query, enc_outputs, enc_outputs, enc_valid_lens)"""
INIT_RETURN = "        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)"
RETURN = """        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state,
                                          enc_valid_lens]"""
STORE = "            self._attention_weights.append(self.attention.attention_weights)"


def variant(*pairs):
    code = BOOK_11_4
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in code, old
        code = code.replace(old, new)
    return code


ALTERNATIVES = {
    "index the steps, dense at each step, stack": variant("""\
        X = self.embedding(X).permute(1, 0, 2)
        outputs, self._attention_weights = [], []
        for x in X:""", """\
        embs = self.embedding(X)
        outputs, self._attention_weights = [], []
        for t in range(embs.shape[1]):
            x = embs[:, t]""", "            outputs.append(out)", "            outputs.append(self.dense(out[0]))",
        """        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state,
                                          enc_valid_lens]""", """\
        return torch.stack(outputs, dim=1), (enc_outputs, hidden_state, enc_valid_lens)"""),
    "query by slicing and permuting, transpose for time first": variant(
        QUERY, "            query = hidden_state[-1:].permute(1, 0, 2)",
        "            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)",
        "            out, hidden_state = self.rnn(x.transpose(0, 1), hidden_state)",
        INIT_RETURN, "        return outputs.transpose(0, 1), hidden_state, enc_valid_lens"),
}

MUTANTS = {
    "query from the first layer": (variant(QUERY, "            query = torch.unsqueeze(hidden_state[0], dim=1)"),
                                   ["test_outputs_match", "test_encoder_valid"], ["last layer", "hidden_state[0]"]),
    "embedding first in the concatenation": (
        variant(CAT, "            x = torch.cat((torch.unsqueeze(x, dim=1), context), dim=-1)"),
        ["test_outputs_match", "test_encoder_valid"], ["context first"]),
    "init_state without the permute": (variant(INIT_RETURN, "        return (outputs, hidden_state, enc_valid_lens)"),
                                       ["test_init_state"], ["permute(1, 0, 2)"]),
    "query never updated": (variant("""\
        outputs, self._attention_weights = [], []
        for x in X:
            # Shape of query: (batch_size, 1, num_hiddens)
            query = torch.unsqueeze(hidden_state[-1], dim=1)""", """\
        outputs, self._attention_weights = [], []
        query = torch.unsqueeze(hidden_state[-1], dim=1)
        for x in X:"""), ["test_outputs_match", "test_encoder_valid"], ["recomputed at every step"]),
    "encoder valid lengths not passed": (variant(ATTEND, """\
            context = self.attention(query, enc_outputs, enc_outputs, None)"""),
        ["test_encoder_valid", "test_attention_weights"], ["not masked"]),
    "returns the initial hidden state": (variant("""\
        enc_outputs, hidden_state, enc_valid_lens = state""", """\
        enc_outputs, hidden_state, enc_valid_lens = state
        initial = hidden_state""", RETURN, """\
        return outputs.permute(1, 0, 2), [enc_outputs, initial, enc_valid_lens]"""),
        ["test_returned_state"], ["started from"]),
    "outputs left time first": (variant("        return outputs.permute(1, 0, 2), [", "        return outputs, ["),
                                ["test_outputs_match", "test_encoder_valid"], ["permute them back"]),
    "only the last step's weights kept": (variant(STORE + "\n", "", """\
        outputs = self.dense(torch.cat(outputs, dim=0))""", """\
        self._attention_weights = [self.attention.attention_weights]
        outputs = self.dense(torch.cat(outputs, dim=0))"""),
        ["test_attention_weights_per_step"], ["one entry per", "decoding step"]),
    "hidden state detached between steps": (variant(
        "            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)",
        "            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state.detach())"),
        ["test_gradients"], ["do not detach"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_4)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
