"""ch10-Seq2SeqEncoder's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_Seq2SeqEncoder as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-Seq2SeqEncoder"

# the book's listing (10.7.2), with nn.Module for d2l.Encoder and nn.GRU for d2l.GRU (as the lesson asks)
BOOK = """
class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        # X shape: (batch_size, num_steps)
        embs = self.embedding(X.t().type(torch.int64))
        # embs shape: (num_steps, batch_size, embed_size)
        outputs, state = self.rnn(embs)
        return outputs, state
"""

# the book's d2l.GRU wrapper kept (parameters rnn.rnn.weight_ih_l0, ...), embed first then permute
WRAPPED = """
class GRU(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers, dropout=dropout)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers, dropout)

    def forward(self, X, *args):
        return self.rnn(self.embedding(X.long()).permute(1, 0, 2))
"""

# a batch-first GRU whose outputs are turned time first again
BATCH_FIRST = """
class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout, batch_first=True)

    def forward(self, X, valid_len=None):
        outputs, state = self.rnn(self.embedding(X.to(torch.int64)))
        return outputs.transpose(0, 1), state
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "no transpose": (variant(("self.embedding(X.t().type(torch.int64))", "self.embedding(X.type(torch.int64))")),
                     ["test_shapes", "test_two_layers", "test_one_layer", "test_gradients"], ["transpose", "x.t()"]),
    "reshape instead of transpose": (
        variant(("self.embedding(X.t().type(torch.int64))",
                 "self.embedding(X.reshape(X.shape[1], X.shape[0]).type(torch.int64))")),
        ["test_two_layers", "test_one_layer", "test_gradients"], ["a reshape to (num_steps, batch_size)"]),
    "batch-first GRU, outputs left batch first": (
        variant(("self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)",
                 "self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout, batch_first=True)"),
                ("self.embedding(X.t().type(torch.int64))", "self.embedding(X.type(torch.int64))")),
        ["test_shapes", "test_two_layers"], ["batch first", "time first"]),
    "only the top layer's state": (variant(("return outputs, state", "return outputs, state[-1]")),
                                   ["test_shapes", "test_two_layers", "test_one_layer"], ["state[-1]"]),
    "num_layers ignored": (variant(("nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)",
                                    "nn.GRU(embed_size, num_hiddens, dropout=dropout)")),
                           ["test_shapes", "test_two_layers"], ["weight_ih_l1", "one final state per layer"]),
    "dropout not passed": (variant(("nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)",
                                    "nn.GRU(embed_size, num_hiddens, num_layers)")),
                           ["test_dropout"], ["dropout=dropout"]),
    "dropout passed as the fourth positional argument (bias)": (
        variant(("nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)",
                 "nn.GRU(embed_size, num_hiddens, num_layers, dropout)")),
        ["test_two_layers", "test_one_layer", "test_gradients"], ["fourth positional argument is bias"]),
    "forward without *args": (variant(("def forward(self, X, *args):", "def forward(self, X):")),
                              ["test_extra_arguments"], ["*args"]),
    "embedding sizes swapped": (variant(("nn.Embedding(vocab_size, embed_size)", "nn.Embedding(embed_size, "
                                                                                  "vocab_size)")),
                                ["test_shapes", "test_two_layers", "test_one_layer"],
                                ["embedding.weight", "vocab_size rows of embed_size"]),
    "outputs detached": (variant(("return outputs, state", "return outputs.detach(), state.detach()")),
                         ["test_gradients"], ["not connected", "no .detach()"]),
    "initial state made on the CPU": (variant(("outputs, state = self.rnn(embs)",
                                               "outputs, state = self.rnn(embs, torch.zeros(self.rnn.num_layers, "
                                               "X.shape[0], self.rnn.hidden_size, dtype=embs.dtype))")),
                                      ["test_result_on_the_inputs_device"], ["device=x.device"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_book_gru_wrapper_and_permute_get_full_marks():
    assert_full_marks(EX, WRAPPED)


def test_batch_first_gru_transposed_back_gets_full_marks():
    assert_full_marks(EX, BATCH_FIRST)


def test_reference_is_the_books_encoder():
    """The grader's reference (embedding + GRU on X.t()) equals a book encoder built here with the same weights."""
    W, X = grader.make_weights(9, 4, 5, 2, 3), grader.make_tokens(3, 6, 9, 3)
    outputs, state = grader.reference(W, X, 2)
    emb = torch.nn.Embedding(9, 4, dtype=torch.float64)
    gru = torch.nn.GRU(4, 5, 2, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(W["embedding.weight"])
        for name in grader.gru_names(2):
            getattr(gru, name).copy_(W[name])
        o, s = gru(emb(X.t()))
    assert torch.equal(o, outputs.detach()) and torch.equal(s, state.detach())
    wrong, _ = grader.reference(W, X, 2, "reshape")
    assert not torch.allclose(wrong, outputs)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
