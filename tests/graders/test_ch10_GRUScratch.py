"""ch10-GRUScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_GRUScratch as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-GRUScratch"

# the given part of the solution cell; each variant below supplies forward()
HEAD = """
class GRUScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        init_weight = lambda *shape: nn.Parameter(torch.randn(*shape) * sigma)
        triple = lambda: (init_weight(num_inputs, num_hiddens),
                          init_weight(num_hiddens, num_hiddens),
                          nn.Parameter(torch.zeros(num_hiddens)))
        self.W_xz, self.W_hz, self.b_z = triple()  # Update gate
        self.W_xr, self.W_hr, self.b_r = triple()  # Reset gate
        self.W_xh, self.W_hh, self.b_h = triple()  # Candidate hidden state
"""

# the book's listing (10.2.4), PyTorch tab, as printed
BOOK_FORWARD = """
    def forward(self, inputs, H=None):
        if H is None:
            # Initial state with shape: (batch_size, num_hiddens)
            H = torch.zeros((inputs.shape[1], self.num_hiddens),
                          device=inputs.device)
        outputs = []
        for X in inputs:
            Z = torch.sigmoid(torch.matmul(X, self.W_xz) +
                            torch.matmul(H, self.W_hz) + self.b_z)
            R = torch.sigmoid(torch.matmul(X, self.W_xr) +
                            torch.matmul(H, self.W_hr) + self.b_r)
            H_tilde = torch.tanh(torch.matmul(X, self.W_xh) +
                               torch.matmul(R * H, self.W_hh) + self.b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H)
        return outputs, H
"""


def variant(*replacements, forward=BOOK_FORWARD):
    """The book's code with (old, new) line edits: each old text must occur."""
    for old, new in replacements:
        assert old in forward, old
        forward = forward.replace(old, new)
    return HEAD + forward


# a correct alternative: the input projections of all steps at once, gates fused, outputs stacked, @ for matmul
FUSED_FORWARD = """
    def forward(self, inputs, H=None):
        if H is None:
            H = inputs.new_zeros(inputs.shape[1], self.num_hiddens)
        h = self.num_hiddens
        XW = inputs @ torch.cat([self.W_xz, self.W_xr, self.W_xh], dim=1) + torch.cat([self.b_z, self.b_r, self.b_h])
        W_gates = torch.cat([self.W_hz, self.W_hr], dim=1)
        outputs = []
        for t in range(inputs.shape[0]):
            Z, R = torch.sigmoid(XW[t, :, :2 * h] + H @ W_gates).chunk(2, dim=1)
            H_tilde = torch.tanh(XW[t, :, 2 * h:] + (R * H) @ self.W_hh)
            H = torch.lerp(H_tilde, H, Z)          # Z * H + (1 - Z) * H_tilde
            outputs.append(H)
        return torch.stack(outputs), H
"""

# another: written with einsum, the state as H_{t-1} in a list, outputs a tuple
EINSUM_FORWARD = """
    def forward(self, inputs, H=None):
        states = [torch.zeros(inputs.shape[1], self.num_hiddens, dtype=inputs.dtype, device=inputs.device)
                  if H is None else H]
        for X in inputs.unbind(0):
            prev = states[-1]
            Z = torch.einsum('bd,dh->bh', X, self.W_xz) + torch.einsum('bk,kh->bh', prev, self.W_hz) + self.b_z
            R = torch.einsum('bd,dh->bh', X, self.W_xr) + torch.einsum('bk,kh->bh', prev, self.W_hr) + self.b_r
            Z, R = 1 / (1 + torch.exp(-Z)), 1 / (1 + torch.exp(-R))
            H_tilde = torch.tanh(X.mm(self.W_xh) + (R * prev).mm(self.W_hh) + self.b_h)
            states.append(prev + (1 - Z) * (H_tilde - prev))
        return tuple(states[1:]), states[-1]
"""

NN_GRU = """
    def forward(self, inputs, H=None):
        B, h = inputs.shape[1], self.num_hiddens
        H = inputs.new_zeros(B, h) if H is None else H
        cell = nn.GRUCell(self.num_inputs, h).to(inputs.device, inputs.dtype)
        with torch.no_grad():
            cell.weight_ih.copy_(torch.cat([self.W_xr, self.W_xz, self.W_xh], dim=1).T)
            cell.weight_hh.copy_(torch.cat([self.W_hr, self.W_hz, self.W_hh], dim=1).T)
            cell.bias_ih.copy_(torch.cat([self.b_r, self.b_z, self.b_h]))
            cell.bias_hh.zero_()
        outputs = []
        for X in inputs:
            H = cell(X, H)
            outputs.append(H)
        return outputs, H
"""

LOOP_OVER_EXAMPLES = """
    def forward(self, inputs, H=None):
        B = inputs.shape[1]
        H = torch.zeros((B, self.num_hiddens), device=inputs.device) if H is None else H
        outputs = []
        for X in inputs:
            rows = []
            for n in range(B):
                x, hp = X[n], H[n]
                Z = torch.sigmoid(x @ self.W_xz + hp @ self.W_hz + self.b_z)
                R = torch.sigmoid(x @ self.W_xr + hp @ self.W_hr + self.b_r)
                H_tilde = torch.tanh(x @ self.W_xh + (R * hp) @ self.W_hh + self.b_h)
                rows.append(Z * hp + (1 - Z) * H_tilde)
            H = torch.stack(rows)
            outputs.append(H)
        return outputs, H
"""

MUTANTS = {
    "update and reset gates swapped": (
        variant(("H = Z * H + (1 - Z) * H_tilde", "H = R * H + (1 - R) * H_tilde"),
                ("torch.matmul(R * H, self.W_hh)", "torch.matmul(Z * H, self.W_hh)")),
        ["test_one_step", "test_reset_gate_open", "test_sequence", "test_default_state", "test_gradients"],
        ["gates are swapped"]),
    "(1 - Z) and Z swapped in the update": (
        variant(("H = Z * H + (1 - Z) * H_tilde", "H = (1 - Z) * H + Z * H_tilde")),
        ["test_one_step", "test_reset_gate_open", "test_sequence", "test_default_state"], ["other way round"]),
    "reset applied after the product (nn.GRU's placement)": (
        variant(("torch.matmul(R * H, self.W_hh)", "R * torch.matmul(H, self.W_hh)")),
        ["test_sequence", "test_default_state", "test_gradients"], ["before the matrix product", "nn.GRU"]),
    "reset applied after the product, bias inside": (
        variant(("torch.tanh(torch.matmul(X, self.W_xh) +\n                               torch.matmul(R * H, "
                 "self.W_hh) + self.b_h)",
                 "torch.tanh(torch.matmul(X, self.W_xh) + R * (torch.matmul(H, self.W_hh) + self.b_h))")),
        ["test_sequence", "test_default_state", "test_gradients"], ["before the matrix product"]),
    "tanh and sigmoid swapped": (
        variant(("Z = torch.sigmoid", "Z = torch.tanh"), ("R = torch.sigmoid", "R = torch.tanh"),
                ("H_tilde = torch.tanh", "H_tilde = torch.sigmoid")),
        ["test_one_step", "test_reset_gate_open", "test_sequence"], ["tanh and the sigmoid are swapped"]),
    "tanh on the gates": (
        variant(("Z = torch.sigmoid", "Z = torch.tanh"), ("R = torch.sigmoid", "R = torch.tanh")),
        ["test_one_step", "test_sequence"], ["use the sigmoid"]),
    "sigmoid on the candidate": (
        variant(("H_tilde = torch.tanh", "H_tilde = torch.sigmoid")),
        ["test_one_step", "test_reset_gate_open", "test_sequence"], ["candidate hidden state H_tilde uses tanh"]),
    "state not carried to the next step": (
        variant(("H = Z * H + (1 - Z) * H_tilde\n            outputs.append(H)",
                 "H_new = Z * H + (1 - Z) * H_tilde\n            outputs.append(H_new)"),
                ("return outputs, H", "return outputs, H_new")),
        ["test_reset_gate_open", "test_sequence", "test_default_state"], ["previous step"]),
    "given state ignored": (
        variant(("        if H is None:\n", "        if True:\n")),
        ["test_reset_gate_open", "test_sequence", "test_gradients"], ["start from it"]),
    "recurrent weights transposed": (
        variant(("torch.matmul(H, self.W_hz)", "torch.matmul(H, self.W_hz.T)"),
                ("torch.matmul(H, self.W_hr)", "torch.matmul(H, self.W_hr.T)"),
                ("torch.matmul(R * H, self.W_hh)", "torch.matmul(R * H, self.W_hh.T)")),
        ["test_reset_gate_open", "test_sequence"], ["transpose"]),
    "outputs collect the candidate": (
        variant(("outputs.append(H)", "outputs.append(H_tilde)")),
        ["test_reset_gate_open", "test_sequence"], ["not the candidate"]),
    "zero state made on the CPU": (
        variant(("device=inputs.device)", ")")), ["test_default_state_on_inputs_device"], ["device=inputs.device"]),
    "state detached at each step": (
        variant(("        for X in inputs:\n", "        for X in inputs:\n            H = H.detach()\n")),
        ["test_gradients"], ["gradient"]),
    "hands the weights to nn.GRUCell": (
        HEAD + NN_GRU, ["test_one_step", "test_reset_gate_open", "test_default_state", "test_gradients"],
        ["gru_cell", "write yourself"]),
    "python loop over examples": (HEAD + LOOP_OVER_EXAMPLES, ["test_speed"], ["reference solution"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, HEAD + BOOK_FORWARD)


def test_fused_gates_stacked_outputs_and_lerp_get_full_marks():
    assert_full_marks(EX, HEAD + FUSED_FORWARD)


def test_einsum_and_hand_written_sigmoid_get_full_marks():
    assert_full_marks(EX, HEAD + EINSUM_FORWARD)


def test_book_gru_is_nn_gru_exactly_where_the_reset_gate_cannot_matter():
    """The grader's float64 book equations agree with nn.GRU from a zero state for one step and with the reset
    gate forced open, and differ from it otherwise: nn.GRU is a different function of the same weights."""
    P, X, H0 = grader.make_params(3, 5, 2), grader.sequence(6, 4, 3, 2), grader.state(4, 5, 2)
    one, _ = grader.book_gru(P, X[:1])
    want, _ = grader.torch_gru(P, X[:1])
    assert torch.allclose(one[0], want[0], rtol=1e-12, atol=1e-12)
    P_open = grader.make_params(3, 5, 2, reset_open=True)
    assert bool((torch.sigmoid(torch.tensor(grader.OPEN, dtype=torch.float32)) == 1).all())
    outs, H = grader.book_gru(P_open, X, H0)
    want, eH = grader.torch_gru(P_open, X, H0)
    assert torch.allclose(torch.stack(outs), torch.stack(want), rtol=1e-12, atol=1e-12)
    assert torch.allclose(H, eH, rtol=1e-12, atol=1e-12)
    outs, _ = grader.book_gru(P, X, H0)
    want, _ = grader.torch_gru(P, X, H0)
    assert (torch.stack(outs) - torch.stack(want)).abs().max() > 1e-2


def test_mistakes_differ_from_the_truth():
    P, X, H0 = grader.make_params(3, 5, 2), grader.sequence(6, 4, 3, 2), grader.state(4, 5, 2)
    want, H = grader.book_gru(P, X, H0)
    for mistake in grader.MISTAKES:
        outs, mH = grader.book_gru(P, X, H0, mistake)
        assert not (torch.allclose(torch.stack(outs), torch.stack(want), rtol=1e-3, atol=1e-5)
                    and torch.allclose(mH, H, rtol=1e-3, atol=1e-5)), mistake


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
