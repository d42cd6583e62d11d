"""Grader for ch10-LSTMScratch: `LSTMScratch.forward` runs the LSTM's gate equations over a sequence (book 10.1).

Expected values come from PyTorch's `nn.LSTM`, run here in float64 on the CPU with the student's weights mapped
onto it (gate order i, f, g, o; `weight_ih` is the transposed `W_x?` blocks stacked; the book's one bias goes in
`bias_ih`, `bias_hh` is zero). Float64 on the CPU keeps the truth free of cuDNN's TF32 rounding on a GPU.
"""
import itertools

import pytest
import torch
from torch import nn

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_fast,
                               expect_not_used, expect_shape, first_matching_hint, seeded)
from autograder.graders.common.rnn import expect_gradients

GATES = "ifoc"   # input gate, forget gate, output gate, input node (the book's suffixes)
NAMES = [n for g in GATES for n in (f"W_x{g}", f"W_h{g}", f"b_{g}")]
BANNED = {"functions": ["lstm", "lstm_cell", "_thnn_fused_lstm_cell", "quantized_lstm_cell"],
          "aten": ["lstm", "lstm_cell", "_thnn_fused_lstm_cell", "mkldnn_rnn_layer", "_cudnn_rnn",
                   "miopen_rnn", "quantized_lstm_cell"]}
BANNED_HINT = ("write the gate equations with torch.matmul, torch.sigmoid and torch.tanh; nn.LSTM, nn.LSTMCell "
               "and torch.lstm_cell are what this exercise builds.")
DEVICE_HINT = ("create the zero initial state on the device of the inputs, as the book does: "
               "torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device). A tensor made with "
               "torch.zeros(...) alone lives on the CPU, and mixing it with GPU tensors is an error.")
GENERIC_HINT = ("at each step: I = sigmoid(X @ W_xi + H @ W_hi + b_i), F and O likewise with their own "
                "weights, C_tilde = tanh(X @ W_xc + H @ W_hc + b_c), then C = F * C + I * C_tilde and "
                "H = O * tanh(C), using the H and C of the previous step (book 10.1.2).")


# -- inputs (float64 on the CPU, the truth's; `sent` casts them for the call) -----------------------------------

F64 = torch.float64


def make_params(num_inputs, num_hiddens, seed):
    """Weights large enough (and biases nonzero) that every gate matters and mix-ups show; seeds 100 * seed + k."""
    P = {}
    for k, gate in enumerate(GATES):
        base = 100 * seed + 3 * k
        P[f"W_x{gate}"] = seeded(num_inputs, num_hiddens, seed=base, dtype=F64, scale=0.7)
        P[f"W_h{gate}"] = seeded(num_hiddens, num_hiddens, seed=base + 1, dtype=F64, scale=0.5)
        P[f"b_{gate}"] = seeded(num_hiddens, seed=base + 2, dtype=F64, scale=0.5)
    return P


def make_inputs(num_steps, batch_size, num_inputs, num_hiddens, seed, state=True):
    """inputs and, with `state`, a given (H, C); seeds 1000 + 10 * seed + k."""
    X = seeded(num_steps, batch_size, num_inputs, seed=1000 + 10 * seed, dtype=F64)
    if not state:
        return X, None
    return X, tuple(seeded(batch_size, num_hiddens, seed=1000 + 10 * seed + k, dtype=F64, scale=0.8) for k in (1, 2))


def rounded(v, dtype):
    """What the student receives, back in float64: the truth is computed from exactly those numbers."""
    if isinstance(v, torch.Tensor):
        return v.to(dtype).to(torch.float64)
    if isinstance(v, (tuple, list)):
        return type(v)(rounded(x, dtype) for x in v)
    if isinstance(v, dict):
        return {k: rounded(x, dtype) for k, x in v.items()}
    return v


def sent(v, dtype, device):
    if isinstance(v, torch.Tensor):
        return v.to(dtype).to(device)
    if isinstance(v, tuple):
        return tuple(sent(x, dtype, device) for x in v)
    return v


# -- the truth: PyTorch's own LSTM ------------------------------------------------------------------------

def torch_lstm(P, X, state, grads=None):
    """nn.LSTM in float64 on the CPU with the book's parameters P. Returns (outputs, (H, C)) and, given
    grad_outputs, the gradients of sum <grad, output> with respect to X and to each of P."""
    num_inputs, num_hiddens = P["W_xi"].shape
    m = nn.LSTM(num_inputs, num_hiddens, dtype=torch.float64)
    order = "ifco"   # PyTorch's gate order: input, forget, cell (the input node), output
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.cat([P[f"W_x{g}"] for g in order], dim=1).T)
        m.weight_hh_l0.copy_(torch.cat([P[f"W_h{g}"] for g in order], dim=1).T)
        m.bias_ih_l0.copy_(torch.cat([P[f"b_{g}"] for g in order]))
        m.bias_hh_l0.zero_()
    X = X.detach().clone().requires_grad_(grads is not None)
    if state is None:
        out, (H, C) = m(X)
    else:
        out, (H, C) = m(X, (state[0][None], state[1][None]))
    outputs, H, C = list(out.unbind(0)), H[0], C[0]
    if grads is None:
        return [o.detach() for o in outputs], (H.detach(), C.detach())
    G_out, G_H, G_C = grads
    loss = (out * torch.stack(G_out)).sum() + (H * G_H).sum() + (C * G_C).sum()
    loss.backward()
    h = num_hiddens
    param_grads = {}
    for k, g in enumerate(order):
        param_grads[f"W_x{g}"] = m.weight_ih_l0.grad[k * h:(k + 1) * h].T
        param_grads[f"W_h{g}"] = m.weight_hh_l0.grad[k * h:(k + 1) * h].T
        param_grads[f"b_{g}"] = m.bias_ih_l0.grad[k * h:(k + 1) * h]
    return X.grad, param_grads


# -- the usual mistakes, computed on the trusted side ------------------------------------------------------

ROLE = {"I": "the input gate I", "F": "the forget gate F", "O": "the output gate O"}
USE = {"I": "I multiplies C_tilde", "F": "F multiplies the old C", "O": "O multiplies tanh(C)"}


def _perm_hint(perm):
    wrong = [f"{ROLE[got]} where {ROLE[want]} belongs" for want, got in zip("IFO", perm) if want != got]
    return (f"the gates are swapped: you used {', '.join(wrong)}. "
            f"{USE['I']}, {USE['F']}, {USE['O']}: C = F * C + I * C_tilde, H = O * tanh(C).")


MISTAKES = {
    "tanh gates": "the gates I, F and O use the sigmoid (torch.sigmoid), not tanh: a gate is a number between "
                  "0 and 1 that scales what passes through it.",
    "sigmoid node": "the input node C_tilde uses tanh, not the sigmoid: its values lie between -1 and 1.",
    "no tanh on C": "you left out the tanh on the memory cell: H = O * tanh(C), not O * C.",
    "old C": "compute the new C first, then H = O * tanh(C) with that new C.",
    "no forget": "the memory cell keeps what the forget gate lets through: C = F * C + I * C_tilde "
                 "(you dropped F * C).",
    "no input gate": "the input node enters the memory through the input gate: C = F * C + I * C_tilde.",
    "H not carried": "each step must use the H of the previous step: reassign H inside the loop and use it in "
                     "the next step's gates.",
    "C not carried": "each step must use the C of the previous step: reassign C inside the loop "
                     "(C = F * C + I * C_tilde).",
    "W_h transposed": "multiply H @ W_h? as in the book, not by the transpose of W_h? (it is square, so the "
                      "shapes do not warn you).",
    "outputs are C": "outputs collects each step's hidden state H, not the memory cell C.",
    "append before update": "append H to outputs after computing the new H of the step, not before.",
    "state ignored": "when H_C is given, start from it (H, C = H_C) instead of zeros.",
    "state unpacked swapped": "H_C is (H, C) in that order: H, C = H_C.",
    "returned state swapped": "return the final state as (H, C) in that order: return outputs, (H, C).",
}
for _perm in itertools.permutations("IFO"):
    if _perm != tuple("IFO"):
        MISTAKES["gates " + "".join(_perm)] = _perm_hint(_perm)


def scratch_lstm(P, X, state, mistake=""):
    """The book's forward in float64, or one of MISTAKES (to name what went wrong)."""
    B, h = X.shape[1], P["W_xi"].shape[1]
    zeros = torch.zeros(B, h, dtype=torch.float64)
    if state is None or mistake == "state ignored":
        H, C = zeros, zeros.clone()
    elif mistake == "state unpacked swapped":
        C, H = state
    else:
        H, C = state
    H0, C0 = H, C
    gate = torch.tanh if mistake == "tanh gates" else torch.sigmoid
    node = torch.sigmoid if mistake == "sigmoid node" else torch.tanh

    def pre(x, h_prev, g):
        W_h = P[f"W_h{g}"].T if mistake == "W_h transposed" else P[f"W_h{g}"]
        return x @ P[f"W_x{g}"] + h_prev @ W_h + P[f"b_{g}"]

    outputs = []
    for x in X:
        h_prev = H0 if mistake == "H not carried" else H
        c_prev = C0 if mistake == "C not carried" else C
        gates = dict(zip("IFO", (gate(pre(x, h_prev, g)) for g in "ifo")))
        if mistake.startswith("gates "):
            gates = {want: gates[got] for want, got in zip("IFO", mistake[6:])}
        I, F, O = gates["I"], gates["F"], gates["O"]
        C_tilde = node(pre(x, h_prev, "c"))
        if mistake == "no forget":
            C_new = I * C_tilde
        elif mistake == "no input gate":
            C_new = F * c_prev + C_tilde
        else:
            C_new = F * c_prev + I * C_tilde
        if mistake == "no tanh on C":
            H_new = O * C_new
        elif mistake == "old C":
            H_new = O * torch.tanh(c_prev)
        else:
            H_new = O * torch.tanh(C_new)
        outputs.append({"outputs are C": C_new, "append before update": H}.get(mistake, H_new))
        H, C = H_new, C_new
    if mistake == "returned state swapped":
        return outputs, (C, H)
    return outputs, (H, C)


def stacked(outputs, H, C):
    """Every step's H, then the final H and C, as one tensor (steps + 2, batch_size, num_hiddens)."""
    return torch.stack([*outputs, H, C])


def diagnose(P, X, state, outputs, H, C) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them (no hint if it is nearly right)."""
    def answer(mistake=""):
        def make():
            outs, (eH, eC) = scratch_lstm(P, X, state, mistake)
            return stacked(outs, eH, eC)
        return make

    candidates = {"": answer(), **{hint: answer(mistake) for mistake, hint in MISTAKES.items()}}
    return first_matching_hint(stacked(outputs, H, C), candidates, default=GENERIC_HINT)


# -- calling the student's layer --------------------------------------------------------------------------

def build(student, P, dtype, device):
    """The student's LSTMScratch with the parameters P (in dtype, on device)."""
    num_inputs, num_hiddens = P["W_xi"].shape
    lstm = student.new(num_inputs, num_hiddens, seed=0)
    if dtype == torch.float64:
        lstm.method("double")
    for name in NAMES:
        lstm.set(name, P[name].to(dtype).to(device))
    return lstm


def describe(X, state, dtype):
    T, B, d = X.shape
    what = "H_C=None" if state is None else "a given H_C"
    return (f"forward(inputs, {'H_C' if state is not None else 'None'}) with inputs of shape ({T}, {B}, {d}) "
            f"(num_steps, batch_size, num_inputs), {what}, {str(dtype).replace('torch.', '')}")


def call(lstm, X, state, what, explicit=False, **kwargs):
    """Run forward; a device mix-up becomes a message that says how to fix it."""
    args = (X,) if state is None and not explicit else (X, state)
    try:
        return lstm.run(*args, **kwargs)
    except StudentError as e:
        if "device" in e.message.lower():
            as_mistake(e, what, DEVICE_HINT)
        raise


def unpack(value, num_steps, what):
    """(outputs list, H, C) from what forward returned; a stacked outputs tensor is accepted too."""
    shape_hint = ("forward returns (outputs, (H, C)): outputs is the list of each step's H, each of shape "
                  "(batch_size, num_hiddens), and (H, C) is the state after the last step.")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Mistake(f"{what} returned {type(value).__name__}"
                      f"{f' of length {len(value)}' if isinstance(value, (tuple, list)) else ''}, "
                      "expected a pair (outputs, (H, C)).", shape_hint)
    outputs, state = value
    as_tensor = isinstance(outputs, torch.Tensor)
    if as_tensor:
        outputs = list(outputs.unbind(0)) if outputs.dim() == 3 else [outputs]
    if not isinstance(outputs, (list, tuple)) or len(outputs) != num_steps:
        n = len(outputs) if isinstance(outputs, (list, tuple)) else type(outputs).__name__
        raise Mistake(f"{what} returned outputs with {n} entries for {num_steps} time steps; expected one H "
                      "per step.", shape_hint)
    if not isinstance(state, (tuple, list)) or len(state) != 2 or not all(
            isinstance(t, torch.Tensor) for t in state):
        raise Mistake(f"{what} returned {type(state).__name__} as its state, expected a pair of tensors (H, C).",
                      shape_hint)
    return list(outputs), state[0], state[1], as_tensor


def check_values(P, X, state, dtype, out, what):
    """The outputs and final (H, C) equal nn.LSTM's (in float64 from the same rounded numbers)."""
    P64, X64, S64 = rounded(P, dtype), rounded(X, dtype), rounded(state, dtype)
    outputs, H, C, _ = unpack(out.value, X.shape[0], what)
    exp_outputs, (eH, eC) = torch_lstm(P64, X64, S64)
    B, h = X.shape[1], P["W_xi"].shape[1]
    hint_shape = "each H and C has shape (batch_size, num_hiddens)."
    for t, o in enumerate(outputs):
        expect_shape(o, (B, h), f"{what}: outputs[{t}]", hint_shape)
    expect_shape(H, (B, h), f"{what}: the final H", hint_shape)
    expect_shape(C, (B, h), f"{what}: the final C", hint_shape)
    got = torch.stack(outputs)
    want = torch.stack(exp_outputs).to(dtype)
    hint = lambda: diagnose(P64, X64, S64, outputs, H, C)  # noqa: E731 - computed only if a check fails
    expect_close(got, want.to(got.device), f"{what}: torch.stack(outputs) (index [step, example, unit])", hint)
    expect_close(H, eH.to(dtype).to(H.device), f"{what}: the final H", hint)
    expect_close(C, eC.to(dtype).to(C.device), f"{what}: the final C", hint)
    expect_not_used(out.seen, BANNED, what, BANNED_HINT)
    return outputs, H, C


def check_forward(student, device, num_steps, batch_size, num_inputs, num_hiddens, seed, dtype=torch.float32,
                  state=True):
    P = make_params(num_inputs, num_hiddens, seed)
    X, S = make_inputs(num_steps, batch_size, num_inputs, num_hiddens, seed, state)
    what = describe(X, S, dtype)
    lstm = build(student, P, dtype, device)
    out = call(lstm, sent(X, dtype, device), sent(S, dtype, device), what, watch=BANNED)
    return check_values(P, X, S, dtype, out, what)


# -- tests --------------------------------------------------------------------------------------------------
# Every value check also watches for nn.LSTM / nn.LSTMCell / torch.lstm_cell: the exercise is the gate
# equations, so a layer that delegates to PyTorch's LSTM earns nothing. The device and speed checks count only
# for a correct result. No test here is a Recipe's: each builds the layer with its own parameters P (a Recipe's
# target(impl, device) is one object whatever the inputs), its result is a pair (outputs, (H, C)), and the speed
# test checks a given state and the banned ops before it times the default state.


@pytest.mark.points(1.5)
def test_one_step_given_state(student, device):
    check_forward(student, device, num_steps=1, batch_size=3, num_inputs=4, num_hiddens=5, seed=1)


@pytest.mark.points(2)
def test_sequence_given_state(student, device):
    check_forward(student, device, num_steps=6, batch_size=4, num_inputs=3, num_hiddens=5, seed=2,
                  dtype=torch.float64)


@pytest.mark.points(1.5)
def test_default_state_is_zeros(student, device):
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=4, num_hiddens=6, seed=3, state=False)
    # passing None explicitly means the same
    P = make_params(2, 3, 4)
    X, _ = make_inputs(3, 2, 2, 3, 4, state=False)
    what = "forward(inputs, None) with inputs of shape (3, 2, 2), H_C=None passed explicitly, float32"
    out = call(build(student, P, torch.float32, device), sent(X, torch.float32, device), None, what,
               explicit=True, watch=BANNED)
    check_values(P, X, None, torch.float32, out, what)


@pytest.mark.points(1)
def test_batch_of_one(student, device):
    check_forward(student, device, num_steps=4, batch_size=1, num_inputs=2, num_hiddens=3, seed=5)
    check_forward(student, device, num_steps=3, batch_size=1, num_inputs=1, num_hiddens=1, seed=6, state=False)


@pytest.mark.points(2)
def test_gradients_through_time(student, device):
    dtype, T, B, d, h = torch.float64, 5, 3, 4, 5
    P = make_params(d, h, 7)
    X, S = make_inputs(T, B, d, h, 7)
    what = describe(X, S, dtype)
    lstm = build(student, P, dtype, device)
    out = call(lstm, sent(X, dtype, device), sent(S, dtype, device), what, requires_grad=[0], watch=BANNED)
    check_values(P, X, S, dtype, out, what)
    _, _, _, as_tensor = unpack(out.value, T, what)   # outputs returned stacked, as one tensor
    G_out = [seeded(B, h, seed=7700 + t, dtype=F64) for t in range(T)]
    G_H, G_C = seeded(B, h, seed=7798, dtype=F64), seeded(B, h, seed=7799, dtype=F64)
    grads = ([torch.stack(G_out)] if as_tensor else G_out) + [G_H, G_C]
    got = expect_backward(lstm, [t.to(device) for t in grads], what,
                          "build every step from inputs, H, C and the parameters with differentiable torch "
                          "operations; no .detach(), .item() or torch.tensor(...) of results.")
    dX, dP = torch_lstm(P, X, S, (G_out, G_H, G_C))
    call_grad = f"the gradient of a loss on all outputs and the final (H, C) of {what}"
    expect_gradients(got, dX, {name: dP[name] for name in NAMES}, call_grad, device,
                     inputs_hint="the gradient flows back through every step's H and C: use the previous step's "
                                 "tensors themselves (no .detach(), no copies into new tensors).",
                     missing_hint="use self.{name} in the gate it belongs to (and do not detach it).")


@pytest.mark.points(1)
def test_default_state_on_inputs_device(student, device):
    """A state made with torch.zeros(...) alone stays on the CPU; on a GPU the first matmul fails. Without a
    GPU, PyTorch's "meta" device (shapes, no values) shows the same mistake."""
    check_forward(student, device, num_steps=3, batch_size=2, num_inputs=3, num_hiddens=4, seed=8, state=False)
    lstm = student.new(3, 4, seed=0)
    lstm.method("to", "meta")
    X = torch.empty(3, 2, 3, device="meta")
    what = ("forward(inputs, None) with the layer and inputs of shape (3, 2, 3) on a device other than the CPU "
            "(PyTorch's 'meta' device)")
    try:
        out = lstm.run(X)
    except StudentError as e:
        as_mistake(e, what, DEVICE_HINT if "device" in e.message.lower() else (
            "the 'meta' device has shapes but no values: make the state with torch.zeros(..., "
            "device=inputs.device) and compute with tensor operations only (no .item() or .tolist())."))
    outputs, H, C, _ = unpack(out.value, 3, what)
    for name, t in [("outputs[0]", outputs[0]), ("H", H), ("C", C)]:
        if t.device.type != "meta":
            raise Mistake(f"{what}: {name} came back on {getattr(t, 'sent_from', t.device)}, expected it on the "
                          "device of the inputs.", DEVICE_HINT)


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    dtype, T, B, d, h = torch.float32, 16, 64, 32, 64
    check_forward(student, device, T, B, d, h, seed=9)
    P = make_params(d, h, 9)
    X, _ = make_inputs(T, B, d, h, 9, state=False)
    mine, ref = build(student, P, dtype, device), build(reference, P, dtype, device)
    expect_fast(mine, ref, sent(X, dtype, device), threshold=10,
                call=f"forward(inputs) for inputs of shape ({T}, {B}, {d}) and {h} hidden units",
                hint="loop over time steps only; within a step use matrix products over the whole "
                     "minibatch (torch.matmul(X, self.W_xi)), not loops over examples or hidden units.")
