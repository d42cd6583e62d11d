"""ch10-StackedRNNScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_StackedRNNScratch as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-StackedRNNScratch"

# the book's listing (10.3.1), PyTorch tab, as printed (d2l.RNNScratch is the lesson's RNNScratch)
BOOK = """
class StackedRNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.num_layers, self.sigma = num_inputs, num_hiddens, num_layers, sigma
        self.rnns = nn.Sequential(*[RNNScratch(
            num_inputs if i==0 else num_hiddens, num_hiddens, sigma)
                                    for i in range(num_layers)])

    def forward(self, inputs, Hs=None):
        outputs = inputs
        if Hs is None: Hs = [None] * self.num_layers
        for i in range(self.num_layers):
            outputs, Hs[i] = self.rnns[i](outputs, Hs[i])
            outputs = torch.stack(outputs, 0)
        return outputs, Hs
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


# correct alternatives: a ModuleList, zip over layers and states, states returned as a tuple
MODULE_LIST = """
class StackedRNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
        super().__init__()
        self.num_layers = num_layers
        sizes = [num_inputs] + [num_hiddens] * (num_layers - 1)
        self.rnns = nn.ModuleList(RNNScratch(d, num_hiddens, sigma) for d in sizes)

    def forward(self, inputs, Hs=None):
        X, finals = inputs, []
        for rnn, H in zip(self.rnns, Hs if Hs is not None else [None] * len(self.rnns)):
            outs, H = rnn(X, H)
            X = torch.stack(outs)
            finals.append(H)
        return X, tuple(finals)
"""

# the top layer's outputs kept as the list RNNScratch returns, the states stacked into one tensor
LIST_OUTPUTS = """
class StackedRNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
        super().__init__()
        self.num_layers = num_layers
        self.rnns = nn.Sequential(*[RNNScratch(num_inputs if i == 0 else num_hiddens, num_hiddens, sigma)
                                    for i in range(num_layers)])

    def forward(self, inputs, Hs=None):
        layer_input, states = inputs, []
        for i, rnn in enumerate(self.rnns):
            outputs, H = rnn(layer_input, None if Hs is None else Hs[i])
            layer_input = torch.stack(outputs)
            states.append(H)
        return outputs, torch.stack(states)
"""

MUTANTS = {
    "every layer reads the inputs": (
        variant(("outputs, Hs[i] = self.rnns[i](outputs, Hs[i])", "outputs, Hs[i] = self.rnns[i](inputs, Hs[i])")),
        ["test_two_layers", "test_one_and_three", "test_gradients"], ["outputs of the layer below"]),
    "every layer built for num_inputs": (
        variant(("num_inputs if i==0 else num_hiddens", "num_inputs")),
        ["test_layers_are_registered", "test_two_layers", "test_one_and_three"], ["rnns.1.W_xh", "layer below"]),
    "layers in a plain Python list": (
        variant(("self.rnns = nn.Sequential(*[RNNScratch(", "self.rnns = list([RNNScratch(")),
        ["test_layers_are_registered", "test_two_layers", "test_default_states", "test_gradients"],
        ["plain python list"]),
    "one layer object repeated": (
        variant(("        self.rnns = nn.Sequential(*[RNNScratch(\n            num_inputs if i==0 else num_hiddens, "
                 "num_hiddens, sigma)\n                                    for i in range(num_layers)])",
                 "        layer = RNNScratch(num_hiddens, num_hiddens, sigma)\n"
                 "        self.rnns = nn.Sequential(*[layer] * num_layers) if num_inputs == num_hiddens else \\\n"
                 "            nn.Sequential(RNNScratch(num_inputs, num_hiddens, sigma), *[layer] * (num_layers - 1))")),
        ["test_default_states", "test_one_and_three"], ["own parameters"]),
    "every layer starts from Hs[0]": (
        variant(("        outputs = inputs\n", "        outputs = inputs\n        first = None if Hs is None else Hs[0]\n"),
                ("outputs, Hs[i] = self.rnns[i](outputs, Hs[i])", "outputs, Hs[i] = self.rnns[i](outputs, first)")),
        ["test_two_layers", "test_gradients"], ["its own state: self.rnns[i](outputs, hs[i]), not hs[0]"]),
    "returns the first layer's outputs": (
        variant(("            outputs = torch.stack(outputs, 0)\n        return outputs, Hs",
                 "            outputs = torch.stack(outputs, 0)\n            if i == 0:\n"
                 "                first = outputs\n        return first, Hs")),
        ["test_two_layers", "test_default_states"], ["top layer"]),
    "returns only the top layer's state": (
        variant(("return outputs, Hs", "return outputs, Hs[-1]")),
        ["test_two_layers", "test_default_states", "test_one_and_three"], ["not only the top layer"]),
    "states in reverse order": (
        variant(("return outputs, Hs", "return outputs, Hs[::-1]")),
        ["test_two_layers", "test_default_states"], ["bottom layer first"]),
    "given states ignored": (
        variant(("if Hs is None: Hs = [None] * self.num_layers", "Hs = [None] * self.num_layers")),
        ["test_two_layers", "test_gradients"], ["start layer i from hs[i]"]),
    "outputs detached between layers": (
        variant(("outputs = torch.stack(outputs, 0)", "outputs = torch.stack(outputs, 0).detach()")),
        ["test_gradients"], ["not connected", "no .detach()"]),
    "hands the weights to nn.RNN": (BOOK.replace("""    def forward(self, inputs, Hs=None):
        outputs = inputs
        if Hs is None: Hs = [None] * self.num_layers
        for i in range(self.num_layers):
            outputs, Hs[i] = self.rnns[i](outputs, Hs[i])
            outputs = torch.stack(outputs, 0)
        return outputs, Hs
""", """    def forward(self, inputs, Hs=None):
        m = nn.RNN(self.num_inputs, self.num_hiddens, self.num_layers).to(inputs.device, inputs.dtype)
        with torch.no_grad():
            for i, rnn in enumerate(self.rnns):
                getattr(m, f"weight_ih_l{i}").copy_(rnn.W_xh.T)
                getattr(m, f"weight_hh_l{i}").copy_(rnn.W_hh.T)
                getattr(m, f"bias_ih_l{i}").copy_(rnn.b_h)
                getattr(m, f"bias_hh_l{i}").zero_()
        out, H = m(inputs, None if Hs is None else torch.stack(list(Hs)))
        return out, list(H)
"""), ["test_two_layers", "test_default_states"], ["rnn_tanh", "write yourself"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_module_list_and_tuple_of_states_get_full_marks():
    assert_full_marks(EX, MODULE_LIST)


def test_list_outputs_and_stacked_states_get_full_marks():
    assert_full_marks(EX, LIST_OUTPUTS)


def test_truth_is_the_books_stack_and_mistakes_differ_from_it():
    layers, X = grader.make_layers(3, 3, 2, 1), grader.sequence(5, 4, 3, 1)
    Hs = grader.make_states(4, 3, 2, 1)
    want, finals = grader.torch_stacked(layers, X, Hs)
    got, states = grader.scratch_stacked(layers, X, Hs)
    assert torch.allclose(got, want) and all(torch.allclose(a, b) for a, b in zip(states, finals))
    for mistake in grader.MISTAKES:
        outs, sts = grader.scratch_stacked(layers, X, Hs, mistake)
        assert not (torch.allclose(outs, want, rtol=1e-3, atol=1e-5)
                    and all(torch.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in zip(sts, finals))), mistake


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
