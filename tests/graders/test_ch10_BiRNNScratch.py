"""ch10-BiRNNScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_BiRNNScratch as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-BiRNNScratch"

# the given part of the solution cell; each variant supplies forward()
HEAD = """
class BiRNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.f_rnn = RNNScratch(num_inputs, num_hiddens, sigma)
        self.b_rnn = RNNScratch(num_inputs, num_hiddens, sigma)
        self.num_hiddens *= 2  # The output dimension will be doubled
"""

# the book's listing (10.4.1), d2l.concat being torch.cat
BOOK_FORWARD = """
    def forward(self, inputs, Hs=None):
        f_H, b_H = Hs if Hs is not None else (None, None)
        f_outputs, f_H = self.f_rnn(inputs, f_H)
        b_outputs, b_H = self.b_rnn(reversed(inputs), b_H)
        outputs = [torch.cat((f, b), -1) for f, b in zip(
            f_outputs, reversed(b_outputs))]
        return outputs, (f_H, b_H)
"""


def variant(*replacements, forward=BOOK_FORWARD):
    for old, new in replacements:
        assert old in forward, old
        forward = forward.replace(old, new)
    return HEAD + forward


# correct alternatives: flip and stacked tensors, one torch.cat over the whole sequence
FLIP_FORWARD = """
    def forward(self, inputs, Hs=None):
        f_H, b_H = (None, None) if Hs is None else Hs
        f_out, f_H = self.f_rnn(inputs, f_H)
        b_out, b_H = self.b_rnn(inputs.flip(0), b_H)
        both = torch.cat([torch.stack(f_out), torch.stack(b_out).flip(0)], dim=2)
        return both, (f_H, b_H)
"""

# indices instead of reversed(): the backward layer fed one step at a time from the end
INDEX_FORWARD = """
    def forward(self, inputs, Hs=None):
        T = inputs.shape[0]
        f_H, b_H = Hs if Hs is not None else (None, None)
        f_outputs, f_H = self.f_rnn(inputs, f_H)
        b_outputs, b_H = self.b_rnn(inputs[torch.arange(T - 1, -1, -1, device=inputs.device)], b_H)
        return [torch.hstack([f_outputs[t], b_outputs[T - 1 - t]]) for t in range(T)], [f_H, b_H]
"""

MUTANTS = {
    "backward outputs not reversed back": (
        variant(("zip(\n            f_outputs, reversed(b_outputs))", "zip(f_outputs, b_outputs)")),
        ["test_sequence", "test_default_states", "test_gradients"], ["reversed time order"]),
    "backward layer reads the inputs in time order": (
        variant(("self.b_rnn(reversed(inputs), b_H)", "self.b_rnn(inputs, b_H)")),
        ["test_sequence", "test_default_states", "test_gradients"], ["reads the sequence from the last step"]),
    "concatenated on the batch axis": (
        variant(("torch.cat((f, b), -1)", "torch.cat((f, b), 0)")),
        ["test_sequence", "test_default_states", "test_one_step", "test_batch"], ["feature axis"]),
    "halves in the wrong order": (
        variant(("torch.cat((f, b), -1)", "torch.cat((b, f), -1)")),
        ["test_sequence", "test_default_states", "test_one_step"], ["forward output first"]),
    "one layer for both directions": (
        variant(("self.b_rnn(reversed(inputs), b_H)", "self.f_rnn(reversed(inputs), b_H)")),
        ["test_sequence", "test_default_states", "test_one_step"], ["own parameters"]),
    "final states returned swapped": (
        variant(("return outputs, (f_H, b_H)", "return outputs, (b_H, f_H)")),
        ["test_sequence", "test_default_states"], ["(f_h, b_h), the forward layer's first"]),
    "given states unpacked swapped": (
        variant(("f_H, b_H = Hs if Hs", "b_H, f_H = Hs if Hs")), ["test_sequence", "test_gradients"],
        ["f_h, b_h = hs"]),
    "given states ignored": (
        variant(("f_H, b_H = Hs if Hs is not None else (None, None)", "f_H, b_H = None, None")),
        ["test_sequence", "test_gradients"], ["when hs is given"]),
    "whole output sequence reversed": (
        variant(("        return outputs, (f_H, b_H)", "        return outputs[::-1], (f_H, b_H)")),
        ["test_sequence", "test_default_states"], ["in time order"]),
    "backward outputs copied into a new tensor": (
        variant(("reversed(b_outputs))]", "torch.tensor([o.tolist() for o in b_outputs[::-1]], "
                 "dtype=inputs.dtype, device=inputs.device))]")),
        ["test_gradients"], ["gradient"]),
    "hands the weights to nn.RNN(bidirectional=True)": (HEAD + """
    def forward(self, inputs, Hs=None):
        h = self.num_hiddens // 2
        m = nn.RNN(self.num_inputs, h, bidirectional=True).to(inputs.device, inputs.dtype)
        with torch.no_grad():
            for suffix, rnn in (("l0", self.f_rnn), ("l0_reverse", self.b_rnn)):
                getattr(m, f"weight_ih_{suffix}").copy_(rnn.W_xh.T)
                getattr(m, f"weight_hh_{suffix}").copy_(rnn.W_hh.T)
                getattr(m, f"bias_ih_{suffix}").copy_(rnn.b_h)
                getattr(m, f"bias_hh_{suffix}").zero_()
        out, H = m(inputs, None if Hs is None else torch.stack(list(Hs)))
        return list(out), (H[0], H[1])
""", ["test_sequence", "test_default_states", "test_one_step"], ["rnn_tanh", "write yourself"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, HEAD + BOOK_FORWARD)


def test_flip_and_one_concatenation_get_full_marks():
    assert_full_marks(EX, HEAD + FLIP_FORWARD)


def test_index_reversal_hstack_and_a_list_of_states_get_full_marks():
    assert_full_marks(EX, HEAD + INDEX_FORWARD)


def test_truth_is_the_books_layer_and_mistakes_differ_from_it():
    dirs, X, Hs = grader.make_directions(3, 4, 1), grader.sequence(5, 3, 3, 1), grader.make_states(3, 4, 1)
    want, (f_H, b_H) = grader.torch_birnn(dirs, X, Hs)
    got, (gf, gb) = grader.scratch_birnn(dirs, X, Hs)
    assert torch.allclose(torch.stack(got), want) and torch.allclose(gf, f_H) and torch.allclose(gb, b_H)
    for mistake in grader.MISTAKES:
        outs, (mf, mb) = grader.scratch_birnn(dirs, X, Hs, mistake)
        assert not (torch.allclose(torch.stack(outs), want, rtol=1e-3, atol=1e-5)
                    and torch.allclose(mf, f_H, rtol=1e-3, atol=1e-5)
                    and torch.allclose(mb, b_H, rtol=1e-3, atol=1e-5)), mistake


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
