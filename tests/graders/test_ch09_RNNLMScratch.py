"""ch09-RNNLMScratch's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-RNNLMScratch"

HEAD = """
class RNNLMScratch(nn.Module):
    def __init__(self, rnn, vocab_size):
        super().__init__()
        self.rnn, self.vocab_size = rnn, vocab_size
        self.W_hq = nn.Parameter(torch.randn(rnn.num_hiddens, vocab_size) * rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)
"""

# book 9.5.2, PyTorch tab (d2l.matmul -> torch.matmul, d2l.stack -> torch.stack)
BOOK_ONE_HOT = """
    def one_hot(self, X):
        # Output shape: (num_steps, batch_size, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)
"""
BOOK_OUTPUT_LAYER = """
    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)
"""


def cls(one_hot=BOOK_ONE_HOT, output_layer=BOOK_OUTPUT_LAYER):
    return HEAD + one_hot + output_layer


def one_hot(body):
    return cls(one_hot=f"\n    def one_hot(self, X):\n        {body}\n")


def output_layer(*lines):
    return cls(output_layer="\n    def output_layer(self, rnn_outputs):\n" + "".join(f"        {l}\n" for l in lines))


MUTANTS = {
    "no transpose": (one_hot("return F.one_hot(X, self.vocab_size).float()"), ["test_one_hot_values"], ["transpose"]),
    "reshape instead of transpose": (one_hot("return F.one_hot(X.reshape(X.shape[1], X.shape[0]), "
                                             "self.vocab_size).float()"),
                                     ["test_one_hot_values"], ["not a transpose"]),
    "int64 one-hot": (one_hot("return F.one_hot(X.T, self.vocab_size)"), ["test_one_hot_is_float32"], ["float32"]),
    "num_classes left out": (one_hot("return F.one_hot(X.T).float()"), ["test_one_hot_values"], ["num_classes"]),
    "identity matrix made on the CPU": (one_hot("return torch.eye(self.vocab_size)[X.T]"),
                                        ["test_one_hot_on_the_inputs_device"], ["device of X"]),
    "steps stacked first": (output_layer("return torch.stack([H @ self.W_hq + self.b_q for H in rnn_outputs])"),
                            ["test_output_layer_values"], ["dimension 1"]),
    "no bias": (output_layer("return torch.stack([H @ self.W_hq for H in rnn_outputs], 1)"),
                ["test_output_layer_values"], ["bias"]),
    "cat instead of stack": (output_layer("return torch.cat([H @ self.W_hq + self.b_q for H in rnn_outputs], 1)"),
                             ["test_output_layer_values"], ["torch.cat"]),
    "step-first stack reshaped instead of transposed": (output_layer(
        "O = torch.stack([H @ self.W_hq + self.b_q for H in rnn_outputs])",
        "return O.reshape(O.shape[1], O.shape[0], -1)"), ["test_output_layer_values"], ["not a transpose"]),
    "logits of the last step only": (output_layer("return (rnn_outputs[-1] @ self.W_hq + self.b_q).unsqueeze(1)"),
                                     ["test_output_layer_values"], ["not only to the last one"]),
    "hidden states detached": (output_layer("return torch.stack([H.detach() @ self.W_hq + self.b_q "
                                            "for H in rnn_outputs], 1)"),
                               ["test_whole_model_and_its_gradients"], ["no gradient reached", "detach"]),
    "weights read through .data": (output_layer("return torch.stack([H @ self.W_hq.data + self.b_q.data "
                                                "for H in rnn_outputs], 1)"),
                                   ["test_whole_model_and_its_gradients"], ["W_hq"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, cls())


def test_comparison_one_hot_and_one_matmul_get_full_marks():
    assert_full_marks(EX, cls(
        one_hot="\n    def one_hot(self, X):\n"
                "        return (X.T[..., None] == torch.arange(self.vocab_size, device=X.device)).to(torch.float32)\n",
        output_layer="\n    def output_layer(self, rnn_outputs):\n"
                     "        return torch.stack(list(rnn_outputs), dim=1) @ self.W_hq + self.b_q\n"))


def test_identity_rows_on_the_device_get_full_marks():
    assert_full_marks(EX, one_hot("return torch.eye(self.vocab_size, device=X.device)[X.T]"))


def test_permuted_one_hot_and_step_first_logits_transposed_get_full_marks():
    assert_full_marks(EX, cls(
        one_hot="\n    def one_hot(self, X):\n"
                "        return F.one_hot(X, self.vocab_size).permute(1, 0, 2).float()\n",
        output_layer="\n    def output_layer(self, rnn_outputs):\n"
                     "        return torch.stack([F.linear(H, self.W_hq.T, self.b_q) for H in rnn_outputs]).transpose(0, 1)\n"))


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
