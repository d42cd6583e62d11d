"""ch09-RNNScratch's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-RNNScratch"

# book 9.5.1, PyTorch tab (d2l.Module -> nn.Module, save_hyperparameters() written out, d2l.randn -> torch.randn)
BOOK = """
class RNNScratch(nn.Module):  #@save
    \"\"\"The RNN model implemented from scratch.\"\"\"
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(
            torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(
            torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            # Initial state with shape: (batch_size, num_hiddens)
            state = torch.zeros((inputs.shape[1], self.num_hiddens),
                              device=inputs.device)
        else:
            state, = state
        outputs = []
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state
"""


def book(old, new):
    assert BOOK.count(old) == 1, old
    return BOOK.replace(old, new)


MUTANTS = {
    "W_hh transposed": (book("torch.matmul(state, self.W_hh)", "torch.matmul(state, self.W_hh.T)"),
                        ["test_one_step", "test_sequence"], ["transpose"]),
    "no tanh": (book("state = torch.tanh(torch.matmul(X, self.W_xh) +", "state = (torch.matmul(X, self.W_xh) +"),
                ["test_one_step", "test_sequence"], ["apply tanh"]),
    "ReLU instead of tanh": (book("state = torch.tanh(torch.matmul(X, self.W_xh) +",
                                  "state = torch.relu(torch.matmul(X, self.W_xh) +"),
                             ["test_one_step", "test_sequence"], ["ReLU"]),
    "state not carried": (book("""        outputs = []
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)""", """        outputs, H0 = [], state
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(H0, self.W_hh) + self.b_h)
            outputs.append(state)"""), ["test_sequence", "test_default_state"], ["previous step"]),
    "given state ignored": (book("""        if state is None:
            # Initial state""", """        if True:
            # Initial state"""), ["test_one_step", "test_sequence"], ["start from it"]),
    "zero state made on the CPU": (book("""            state = torch.zeros((inputs.shape[1], self.num_hiddens),
                              device=inputs.device)""", """            state = torch.zeros((inputs.shape[1], self.num_hiddens))"""),
                                   ["test_default_state_on_the_inputs_device"], ["device=inputs.device"]),
    "weights without sigma": (book("torch.randn(num_hiddens, num_hiddens) * sigma)",
                                   "torch.randn(num_hiddens, num_hiddens))"),
                              ["test_parameters_and_their_initial_values"], ["standard deviation sigma"]),
    "uniform weights": (book("torch.randn(num_inputs, num_hiddens) * sigma)", "torch.rand(num_inputs, num_hiddens) * sigma)"),
                        ["test_parameters_and_their_initial_values"], ["normal"]),
    "random bias": (book("self.b_h = nn.Parameter(torch.zeros(num_hiddens))",
                         "self.b_h = nn.Parameter(torch.randn(num_hiddens) * sigma)"),
                    ["test_parameters_and_their_initial_values"], ["zeros"]),
    "state not unpacked from its tuple": (book("            state, = state\n", "            pass\n"),
                                          ["test_one_step", "test_sequence"], ["H, = state"]),
    "final state returned as a tuple": (book("return outputs, state", "return outputs, (state,)"),
                                        ["test_one_step", "test_default_state"], ["tensor H itself"]),
    "appends the state before updating it": (book("""            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)""", """            outputs.append(state)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)"""),
                                             ["test_one_step", "test_sequence"], ["after computing"]),
    "state detached at every step": (book("            outputs.append(state)", "            state = state.detach()\n"
                                          "            outputs.append(state)"),
                                     ["test_gradients_through_time"], ["detach"]),
    "nn.RNN inside": ("""
class RNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        H0 = None if state is None else state[0][None]
        out, H = torch.rnn_tanh(inputs, torch.zeros(1, inputs.shape[1], self.num_hiddens, device=inputs.device)
                                if H0 is None else H0,
                                [self.W_xh.T, self.W_hh.T, self.b_h, torch.zeros_like(self.b_h)],
                                True, 1, 0.0, self.training, False, False)
        return list(out), H[0]
""", ["test_one_step"], ["nn.RNN"]),
    "a loop over the examples": (book("""            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)""", """            state = torch.stack([torch.tanh(x @ self.W_xh + h @ self.W_hh + self.b_h)
                                 for x, h in zip(X, state)])"""),
                                 ["test_speed"], ["reference solution"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_stacked_outputs_and_indexed_state_get_full_marks():
    assert_full_marks(EX, """
class RNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(sigma * torch.randn(num_inputs, num_hiddens))
        self.W_hh = nn.Parameter(sigma * torch.randn(num_hiddens, num_hiddens))
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        H = inputs.new_zeros(inputs.shape[1], self.num_hiddens) if state is None else state[0]
        outputs = []
        for t in range(inputs.shape[0]):
            H = (inputs[t] @ self.W_xh + H @ self.W_hh + self.b_h).tanh()
            outputs.append(H)
        return torch.stack(outputs), H
""")


def test_one_matmul_of_concatenated_input_and_state_gets_full_marks():
    # [X_t, H_{t-1}] @ [[W_xh], [W_hh]] is X_t W_xh + H_{t-1} W_hh; zeros in the inputs' dtype, steps by unbind
    assert_full_marks(EX, book("""        outputs = []
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                             torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)""", """        W = torch.cat((self.W_xh, self.W_hh), dim=0)
        outputs = []
        for X in inputs.unbind(0):
            state = torch.tanh(torch.cat((X, state), dim=1) @ W + self.b_h)
            outputs.append(state)""").replace("device=inputs.device)", "device=inputs.device, dtype=inputs.dtype)"))


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
