"""ch10-LSTMScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_LSTMScratch as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-LSTMScratch"

# the given part of the solution cell; each variant below supplies forward()
HEAD = """
class LSTMScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        init_weight = lambda *shape: nn.Parameter(torch.randn(*shape) * sigma)
        triple = lambda: (init_weight(num_inputs, num_hiddens),
                          init_weight(num_hiddens, num_hiddens),
                          nn.Parameter(torch.zeros(num_hiddens)))
        self.W_xi, self.W_hi, self.b_i = triple()  # Input gate
        self.W_xf, self.W_hf, self.b_f = triple()  # Forget gate
        self.W_xo, self.W_ho, self.b_o = triple()  # Output gate
        self.W_xc, self.W_hc, self.b_c = triple()  # Input node
"""

# the book's listing (10.1.2), as printed
BOOK_FORWARD = """
    def forward(self, inputs, H_C=None):
        if H_C is None:
            # Initial state with shape: (batch_size, num_hiddens)
            H = torch.zeros((inputs.shape[1], self.num_hiddens),
                          device=inputs.device)
            C = torch.zeros((inputs.shape[1], self.num_hiddens),
                          device=inputs.device)
        else:
            H, C = H_C
        outputs = []
        for X in inputs:
            I = torch.sigmoid(torch.matmul(X, self.W_xi) +
                            torch.matmul(H, self.W_hi) + self.b_i)
            F = torch.sigmoid(torch.matmul(X, self.W_xf) +
                            torch.matmul(H, self.W_hf) + self.b_f)
            O = torch.sigmoid(torch.matmul(X, self.W_xo) +
                            torch.matmul(H, self.W_ho) + self.b_o)
            C_tilde = torch.tanh(torch.matmul(X, self.W_xc) +
                               torch.matmul(H, self.W_hc) + self.b_c)
            C = F * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return outputs, (H, C)
"""


def variant(*replacements, forward=BOOK_FORWARD):
    """The book's code with (old, new) line edits: each old text must occur."""
    for old, new in replacements:
        assert old in forward, old
        forward = forward.replace(old, new)
    return HEAD + forward


FUSED_FORWARD = """
    def forward(self, inputs, H_C=None):
        B, h = inputs.shape[1], self.num_hiddens
        H, C = H_C if H_C is not None else (inputs.new_zeros(B, h), inputs.new_zeros(B, h))
        W_x = torch.cat([self.W_xi, self.W_xf, self.W_xo, self.W_xc], dim=1)
        W_h = torch.cat([self.W_hi, self.W_hf, self.W_ho, self.W_hc], dim=1)
        b = torch.cat([self.b_i, self.b_f, self.b_o, self.b_c])
        XW = inputs @ W_x + b          # all steps at once: only the H part is sequential
        outputs = []
        for t in range(inputs.shape[0]):
            i, f, o, c = (XW[t] + H @ W_h).chunk(4, dim=1)
            C = torch.sigmoid(f) * C + torch.sigmoid(i) * torch.tanh(c)
            H = torch.sigmoid(o) * torch.tanh(C)
            outputs.append(H)
        return torch.stack(outputs), (H, C)
"""

TORCH_LSTM_CELL = """
    def forward(self, inputs, H_C=None):
        B, h = inputs.shape[1], self.num_hiddens
        H, C = H_C if H_C is not None else (inputs.new_zeros(B, h), inputs.new_zeros(B, h))
        w_ih = torch.cat([self.W_xi, self.W_xf, self.W_xc, self.W_xo], dim=1).T
        w_hh = torch.cat([self.W_hi, self.W_hf, self.W_hc, self.W_ho], dim=1).T
        b = torch.cat([self.b_i, self.b_f, self.b_c, self.b_o])
        outputs = []
        for X in inputs:
            H, C = getattr(torch, "lstm" + "_cell")(X, (H, C), w_ih, w_hh, b, torch.zeros_like(b))
            outputs.append(H)
        return outputs, (H, C)
"""

NN_LSTM = """
    def forward(self, inputs, H_C=None):
        B, h = inputs.shape[1], self.num_hiddens
        H, C = H_C if H_C is not None else (inputs.new_zeros(B, h), inputs.new_zeros(B, h))
        lstm = nn.LSTM(self.num_inputs, h).to(inputs.device, inputs.dtype)
        del lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0
        b = torch.cat([self.b_i, self.b_f, self.b_c, self.b_o])
        lstm.weight_ih_l0 = torch.cat([self.W_xi, self.W_xf, self.W_xc, self.W_xo], dim=1).T
        lstm.weight_hh_l0 = torch.cat([self.W_hi, self.W_hf, self.W_hc, self.W_ho], dim=1).T
        lstm.bias_ih_l0, lstm.bias_hh_l0 = b, torch.zeros_like(b)
        out, (H, C) = lstm(inputs, (H[None], C[None]))
        return list(out), (H[0], C[0])
"""

LOOP_OVER_EXAMPLES = """
    def forward(self, inputs, H_C=None):
        B, h = inputs.shape[1], self.num_hiddens
        H, C = H_C if H_C is not None else (inputs.new_zeros(B, h), inputs.new_zeros(B, h))
        outputs = []
        for X in inputs:
            rows_H, rows_C = [], []
            for n in range(B):
                x, hp, cp = X[n], H[n], C[n]
                I = torch.sigmoid(x @ self.W_xi + hp @ self.W_hi + self.b_i)
                F = torch.sigmoid(x @ self.W_xf + hp @ self.W_hf + self.b_f)
                O = torch.sigmoid(x @ self.W_xo + hp @ self.W_ho + self.b_o)
                c = F * cp + I * torch.tanh(x @ self.W_xc + hp @ self.W_hc + self.b_c)
                rows_C.append(c)
                rows_H.append(O * torch.tanh(c))
            H, C = torch.stack(rows_H), torch.stack(rows_C)
            outputs.append(H)
        return outputs, (H, C)
"""

MUTANTS = {
    "input and forget gates swapped": (
        variant(("C = F * C + I * C_tilde", "C = I * C + F * C_tilde")),
        ["test_one_step", "test_sequence", "test_default_state_is", "test_batch", "test_gradients"],
        ["swapped", "input gate I", "forget gate F"]),
    "forget and output gates swapped": (
        variant(("C = F * C + I * C_tilde", "C = O * C + I * C_tilde"),
                ("H = O * torch.tanh(C)", "H = F * torch.tanh(C)")),
        ["test_sequence"], ["swapped", "output gate O"]),
    "missing tanh on C": (
        variant(("H = O * torch.tanh(C)", "H = O * C")),
        ["test_one_step", "test_sequence", "test_default_state_is"], ["tanh on the memory cell"]),
    "tanh instead of sigmoid on the gates": (
        variant(("I = torch.sigmoid", "I = torch.tanh"), ("F = torch.sigmoid", "F = torch.tanh"),
                ("O = torch.sigmoid", "O = torch.tanh")),
        ["test_one_step", "test_sequence"], ["use the sigmoid"]),
    "sigmoid on the input node": (
        variant(("C_tilde = torch.tanh", "C_tilde = torch.sigmoid")),
        ["test_one_step", "test_sequence"], ["input node C_tilde uses tanh"]),
    "H uses the old C": (
        variant(("            C = F * C + I * C_tilde\n            H = O * torch.tanh(C)\n",
                 "            H = O * torch.tanh(C)\n            C = F * C + I * C_tilde\n")),
        ["test_one_step", "test_sequence"], ["new C"]),
    "forget term dropped": (
        variant(("C = F * C + I * C_tilde", "C = I * C_tilde")),
        ["test_one_step", "test_sequence"], ["dropped F * C"]),
    "H not carried to the next step": (
        variant(("H = O * torch.tanh(C)\n            outputs.append(H)", "H_new = O * torch.tanh(C)\n"
                 "            outputs.append(H_new)"), ("return outputs, (H, C)", "return outputs, (H_new, C)")),
        ["test_sequence"], ["previous step"]),
    "recurrent weights transposed": (
        variant(("torch.matmul(H, self.W_hi)", "torch.matmul(H, self.W_hi.T)"),
                ("torch.matmul(H, self.W_hf)", "torch.matmul(H, self.W_hf.T)"),
                ("torch.matmul(H, self.W_ho)", "torch.matmul(H, self.W_ho.T)"),
                ("torch.matmul(H, self.W_hc)", "torch.matmul(H, self.W_hc.T)")),
        ["test_sequence"], ["transpose"]),
    "outputs collect C": (
        variant(("outputs.append(H)", "outputs.append(C)")),
        ["test_one_step", "test_sequence"], ["not the memory cell"]),
    "given state ignored": (
        variant(("        if H_C is None:\n", "        if True:\n")),
        ["test_one_step", "test_sequence", "test_gradients"], ["start from it"]),
    "state returned as (C, H)": (
        variant(("return outputs, (H, C)", "return outputs, (C, H)")),
        ["test_one_step", "test_sequence", "test_default_state_is"], ["(H, C) in that order"]),
    "zero state made on the CPU": (
        variant(("device=inputs.device)", ")")),
        ["test_default_state_on_inputs_device"], ["device=inputs.device"]),
    "state detached at each step": (
        variant(("        for X in inputs:\n",
                 "        for X in inputs:\n            H, C = H.detach(), C.detach()\n")),
        ["test_gradients"], ["gradient"]),
    "calls torch.lstm_cell through getattr": (
        HEAD + TORCH_LSTM_CELL,
        ["test_one_step", "test_sequence", "test_default_state_is", "test_batch", "test_gradients"],
        ["lstm_cell", "write yourself"]),
    "wraps nn.LSTM": (
        HEAD + NN_LSTM,
        ["test_one_step", "test_sequence", "test_default_state_is", "test_batch", "test_gradients"],
        ["lstm", "write yourself"]),
    "python loop over examples": (HEAD + LOOP_OVER_EXAMPLES, ["test_speed"], ["reference solution"]),
}



def test_book_listing_gets_full_marks():
    assert_full_marks(EX, HEAD + BOOK_FORWARD)


def test_fused_gates_and_stacked_outputs_get_full_marks():
    assert_full_marks(EX, HEAD + FUSED_FORWARD)



def test_truth_is_nn_lstm_and_mistakes_differ_from_it():
    """The grader's own from-scratch LSTM (used to name mistakes) agrees with nn.LSTM, and no listed mistake
    coincides with the right answer on the inputs the tests use."""
    P = grader.make_params(3, 5, 2)
    X, S = grader.make_inputs(6, 4, 3, 5, 2)
    want, (H, C) = grader.torch_lstm(P, X, S)
    got, (gH, gC) = grader.scratch_lstm(P, X, S)
    assert torch.allclose(torch.stack(got), torch.stack(want)) and torch.allclose(gH, H) and torch.allclose(gC, C)
    for mistake in grader.MISTAKES:
        outs, (mH, mC) = grader.scratch_lstm(P, X, S, mistake)
        same = torch.allclose(torch.stack(outs), torch.stack(want), rtol=1e-3, atol=1e-5) and \
            torch.allclose(mH, H, rtol=1e-3, atol=1e-5) and torch.allclose(mC, C, rtol=1e-3, atol=1e-5)
        assert not same, mistake


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
