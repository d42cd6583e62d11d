"""ch09-predict's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-predict"

# book 9.5.5, PyTorch tab (a method of RNNLMScratch; d2l.tensor/reshape/argmax -> torch)
BOOK = """
def predict(self, prefix, num_preds, vocab, device=None):
    state, outputs = None, [vocab[prefix[0]]]
    for i in range(len(prefix) + num_preds - 1):
        X = torch.tensor([[outputs[-1]]], device=device)
        embs = self.one_hot(X)
        rnn_outputs, state = self.rnn(embs, state)
        if i < len(prefix) - 1:  # Warm-up period
            outputs.append(vocab[prefix[i + 1]])
        else:  # Predict num_preds steps
            Y = self.output_layer(rnn_outputs)
            outputs.append(int(torch.reshape(torch.argmax(Y, axis=2), (1,))))
    return ''.join([vocab.idx_to_token[i] for i in outputs])
"""


def book(old, new):
    assert BOOK.count(old) == 1, old
    return BOOK.replace(old, new)


MUTANTS = {
    "predictions appended during the warm-up": (book("""        if i < len(prefix) - 1:  # Warm-up period
            outputs.append(vocab[prefix[i + 1]])
        else:  # Predict num_preds steps
            Y""", """        if False:
            pass
        else:
            Y"""), ["test_prefix_kept_and_length", "test_the_alphabet_model"], ["warm-up"]),
    "no warm-up: only the last character of the prefix": ("""
def predict(self, prefix, num_preds, vocab, device=None):
    state, outputs = None, [vocab[prefix[-1]]]
    for i in range(num_preds):
        X = torch.tensor([[outputs[-1]]], device=device)
        rnn_outputs, state = self.rnn(self.one_hot(X), state)
        outputs.append(int(self.output_layer(rnn_outputs).argmax(dim=2).reshape(1)))
    return prefix[:-1] + ''.join(vocab.idx_to_token[i] for i in outputs)
""", ["test_warm_up_reads_the_whole_prefix", "test_greedy"], ["warm-up"]),
    "state reset at every step": (book("rnn_outputs, state = self.rnn(embs, state)", "rnn_outputs, _ = self.rnn(embs, None)"),
                                  ["test_greedy_continuation", "test_warm_up"], ["pass the state"]),
    "one character too many": (book("for i in range(len(prefix) + num_preds - 1):",
                                    "for i in range(len(prefix) + num_preds):"),
                               ["test_prefix_kept_and_length", "test_the_alphabet_model"], ["num_preds characters"]),
    "argmax over the time steps": (book("torch.argmax(Y, axis=2)", "torch.argmax(Y, axis=1)"),
                                   ["test_the_alphabet_model", "test_greedy"], ["last dimension"]),
    "samples instead of taking the argmax": (book("outputs.append(int(torch.reshape(torch.argmax(Y, axis=2), (1,))))",
                                                  "outputs.append(int(torch.multinomial(torch.softmax(Y[0, 0], 0), 1)))"),
                                             ["test_greedy_continuation"], ["do not sample"]),
    "returns the list of characters": (book("return ''.join([vocab.idx_to_token[i] for i in outputs])",
                                            "return [vocab.idx_to_token[i] for i in outputs]"),
                                       ["test_prefix_kept_and_length"], ["string"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_argmax_of_the_one_row_without_an_axis_gets_full_marks():
    # Y is (1, 1, vocab_size): the flat argmax of Y[0] is the index in the vocabulary
    assert_full_marks(EX, book("torch.reshape(torch.argmax(Y, axis=2), (1,))", "torch.argmax(Y[0])"))


def test_whole_prefix_at_once_gets_full_marks():
    assert_full_marks(EX, """
def predict(self, prefix, num_preds, vocab, device=None):
    with torch.no_grad():
        X = torch.tensor([[vocab[c] for c in prefix]], device=device)
        outputs, H = self.rnn(self.one_hot(X), None)
        text = list(prefix)
        for _ in range(num_preds):
            nxt = int(self.output_layer(outputs[-1:]).argmax(-1))
            text.append(vocab.idx_to_token[nxt])
            outputs, H = self.rnn(self.one_hot(torch.tensor([[nxt]], device=device)), (H,))
    return ''.join(text)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
