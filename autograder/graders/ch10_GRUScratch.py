"""Grader for ch10-GRUScratch: `GRUScratch.forward` runs the GRU's gate equations over a sequence (book 10.2).

The truth is the book's equations, computed here in float64 on the CPU (`book_gru`):

    R = sigmoid(X W_xr + H W_hr + b_r),  Z = sigmoid(X W_xz + H W_hz + b_z),
    H_tilde = tanh(X W_xh + (R * H) W_hh + b_h),  H = Z * H + (1 - Z) * H_tilde.

PyTorch's `nn.GRU` is a *different function*: it applies the reset gate after the recurrent matrix product,
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), where the book applies it before, (R * H) W_hh. The two agree only
where the reset gate cannot matter, and only there is `nn.GRU` (float64, CPU, the book's weights mapped onto it:
gate order r, z, n, `weight = W.T`, the one bias in `bias_ih`, `bias_hh` zero) the truth:

- one step from the zero state: R * H = 0 and r * (W_hn h + b_hn) = r * 0 = 0 (test_one_step_from_zero_state);
- the reset gate forced open: b_r = 40 makes R = sigmoid(40), which rounds to exactly 1 in float32 and float64,
  so R * H = H (test_reset_gate_open_is_nn_gru). There "reset applied after the product" cannot be seen, which is
  why the other tests use the book's equations.

tests/graders/test_ch10_GRUScratch.py proves that `book_gru` equals `nn.GRU` in both cases and differs from it
otherwise. Every value check also watches for nn.GRU / nn.GRUCell / torch.gru_cell (and the other library
recurrent layers): the exercise is the gate equations.
"""
import pytest
import torch
from torch import nn

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_fast, \
    expect_not_used, expect_shape, first_matching_hint, seeded
from autograder.graders.common.rnn import (F64, RNN_ATEN, RNN_FUNCTIONS, call, dtype_name, expect_gradients,
                                           expect_meta, meta_call, rounded, sent, sequence, state, unpack)

NAMES = ["W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h"]
BANNED = {"functions": RNN_FUNCTIONS, "aten": RNN_ATEN}
BANNED_HINT = ("write the gate equations with torch.matmul, torch.sigmoid and torch.tanh; nn.GRU, nn.GRUCell and "
               "torch.gru_cell are what this exercise builds (and they apply the reset gate elsewhere).")
GENERIC_HINT = ("at each step: Z = sigmoid(X @ W_xz + H @ W_hz + b_z), R = sigmoid(X @ W_xr + H @ W_hr + b_r), "
                "H_tilde = tanh(X @ W_xh + (R * H) @ W_hh + b_h), then H = Z * H + (1 - Z) * H_tilde, using the H "
                "of the previous step (book 10.2).")
SHAPE_HINT = ("forward returns (outputs, H): outputs is the list of each step's H, each of shape (batch_size, "
              "num_hiddens), and H is the state after the last step.")
OPEN = 40.0   # b_r that forces the reset gate open: sigmoid(40) == 1.0 exactly in float32 and float64


# -- inputs ---------------------------------------------------------------------------------------------------

def make_params(num_inputs, num_hiddens, seed, reset_open=False):
    """Weights large enough (and biases nonzero) that every gate matters, scaled by the fan-in so that the
    recurrence does not amplify rounding errors (float32 against float64) over the steps; seeds 100 * seed + k."""
    P = {}
    for k, gate in enumerate("zrh"):
        base = 100 * seed + 3 * k
        P[f"W_x{gate}"] = seeded(num_inputs, num_hiddens, seed=base, dtype=F64, scale=1.2 / num_inputs ** 0.5)
        P[f"W_h{gate}"] = seeded(num_hiddens, num_hiddens, seed=base + 1, dtype=F64, scale=1.2 / num_hiddens ** 0.5)
        P[f"b_{gate}"] = seeded(num_hiddens, seed=base + 2, dtype=F64, scale=0.5)
    if reset_open:
        P["W_xr"], P["W_hr"] = P["W_xr"] * 0.01, P["W_hr"] * 0.01
        P["b_r"] = torch.full_like(P["b_r"], OPEN)
    return P


# -- the truth: the book's equations, and nn.GRU where it agrees ---------------------------------------------

MISTAKES = {
    "gates swapped": "the gates are swapped: Z (with W_xz, W_hz, b_z) is the update gate that mixes the old H and "
                     "H_tilde, R (with W_xr, W_hr, b_r) is the reset gate that multiplies H inside H_tilde.",
    "update flipped": "the update mixes the other way round: H = Z * H + (1 - Z) * H_tilde (Z close to 1 keeps the "
                      "old state), not (1 - Z) * H + Z * H_tilde.",
    "reset after product": "apply the reset gate before the matrix product, as the book does: (R * H) @ W_hh. "
                           "R * (H @ W_hh) is what nn.GRU computes, a different function.",
    "reset after product with bias": "apply the reset gate before the matrix product, to H only: "
                                     "tanh(X @ W_xh + (R * H) @ W_hh + b_h). R * (H @ W_hh + b_h) is nn.GRU's "
                                     "placement, a different function.",
    "no reset": "the candidate uses the reset gate: H_tilde = tanh(X @ W_xh + (R * H) @ W_hh + b_h).",
    "tanh gates": "the gates Z and R use the sigmoid (torch.sigmoid), not tanh: a gate is a number between 0 and 1.",
    "activations swapped": "tanh and the sigmoid are swapped: the gates Z and R use the sigmoid (values between 0 "
                           "and 1), the candidate H_tilde uses tanh (values between -1 and 1).",
    "sigmoid candidate": "the candidate hidden state H_tilde uses tanh, not the sigmoid: its values lie between -1 "
                         "and 1.",
    "no old state": "the new state keeps Z * H of the old one: H = Z * H + (1 - Z) * H_tilde (you dropped Z * H).",
    "H not carried": "each step must use the H of the previous step: reassign H inside the loop and use it in the "
                     "next step's gates.",
    "state ignored": "when H is given, start from it instead of zeros.",
    "W_h transposed": "multiply H @ W_h? as in the book, not by the transpose of W_h? (it is square, so the shapes "
                      "do not warn you).",
    "outputs are candidates": "outputs collects each step's new hidden state H, not the candidate H_tilde.",
    "append before update": "append H to outputs after computing the new H of the step, not before.",
}


def book_gru(P, X, H=None, mistake=""):
    """The book's forward in float64 (or one of MISTAKES): (list of each step's H, the last H)."""
    B, h = X.shape[1], P["W_xz"].shape[1]
    if H is None or mistake == "state ignored":
        H = torch.zeros(B, h, dtype=X.dtype)
    H0 = H
    gate = torch.tanh if mistake in ("tanh gates", "activations swapped") else torch.sigmoid
    node = torch.sigmoid if mistake in ("sigmoid candidate", "activations swapped") else torch.tanh

    def W_h(g):
        return P[f"W_h{g}"].T if mistake == "W_h transposed" else P[f"W_h{g}"]

    outputs = []
    for x in X:
        h_prev = H0 if mistake == "H not carried" else H
        Z = gate(x @ P["W_xz"] + h_prev @ W_h("z") + P["b_z"])
        R = gate(x @ P["W_xr"] + h_prev @ W_h("r") + P["b_r"])
        if mistake == "gates swapped":
            Z, R = R, Z
        if mistake == "reset after product":
            recurrent = R * (h_prev @ W_h("h"))
        elif mistake == "reset after product with bias":
            recurrent = R * (h_prev @ W_h("h") + P["b_h"]) - P["b_h"]
        elif mistake == "no reset":
            recurrent = h_prev @ W_h("h")
        else:
            recurrent = (R * h_prev) @ W_h("h")
        H_tilde = node(x @ P["W_xh"] + recurrent + P["b_h"])
        if mistake == "update flipped":
            H_new = (1 - Z) * h_prev + Z * H_tilde
        elif mistake == "no old state":
            H_new = (1 - Z) * H_tilde
        else:
            H_new = Z * h_prev + (1 - Z) * H_tilde
        outputs.append({"outputs are candidates": H_tilde, "append before update": H}.get(mistake, H_new))
        H = H_new
    return outputs, H


def torch_gru(P, X, H=None):
    """nn.GRU in float64 on the CPU with the book's parameters mapped onto it. Equal to book_gru only where the
    reset gate cannot matter (see the module's docstring)."""
    num_inputs, num_hiddens = P["W_xz"].shape
    m = nn.GRU(num_inputs, num_hiddens, dtype=F64)
    order = "rzh"   # PyTorch's gate order: reset, update, new (the candidate)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.cat([P[f"W_x{g}"] for g in order], dim=1).T)
        m.weight_hh_l0.copy_(torch.cat([P[f"W_h{g}"] for g in order], dim=1).T)
        m.bias_ih_l0.copy_(torch.cat([P[f"b_{g}"] for g in order]))
        m.bias_hh_l0.zero_()
        out, H_n = m(X) if H is None else m(X, H[None])
    return list(out.unbind(0)), H_n[0]


def diagnose(P, X, H0, outputs, H) -> str:
    def answer(mistake):
        def make():
            outs, last = book_gru(P, X, H0, mistake)
            return torch.stack([*outs, last])
        return make

    got = torch.stack([*outputs, H])
    # nearly right (float32 rounding grown over the steps): no hint rather than a wrong one
    candidates = {"": answer(""), **{hint: answer(m) for m, hint in MISTAKES.items()}}
    return first_matching_hint(got, candidates, default=GENERIC_HINT)


# -- calling the student's layer ----------------------------------------------------------------------------

def build(student, P, dtype, device):
    num_inputs, num_hiddens = P["W_xz"].shape
    try:
        gru = student.new(num_inputs, num_hiddens, seed=0)
    except StudentError as e:
        as_mistake(e, f"GRUScratch({num_inputs}, {num_hiddens})")
    if dtype == F64:
        gru.method("double")
    for name in NAMES:
        gru.set(name, P[name].to(dtype).to(device))
    return gru


def describe(X, H, dtype):
    T, B, d = X.shape
    return (f"forward(inputs, {'H' if H is not None else 'None'}) with inputs of shape ({T}, {B}, {d}) (num_steps, "
            f"batch_size, num_inputs), {'a given H' if H is not None else 'H=None'}, {dtype_name(dtype)}")


def check_values(P, X, H0, dtype, out, what, truth=book_gru):
    """The outputs and the final H equal the truth's (in float64 from the same rounded numbers)."""
    P64, X64, H64 = rounded(P, dtype), rounded(X, dtype), rounded(H0, dtype)
    outputs, H, _ = unpack(out.value, X.shape[0], what, SHAPE_HINT)
    B, h = X.shape[1], P["W_xz"].shape[1]
    for t, o in enumerate(outputs):
        expect_shape(o, (B, h), f"{what}: outputs[{t}]", "each H has shape (batch_size, num_hiddens).")
    if not isinstance(H, torch.Tensor):
        raise Mistake(f"{what} returned {type(H).__name__} as its state, expected the tensor H.", SHAPE_HINT)
    expect_shape(H, (B, h), f"{what}: the final H", "H has shape (batch_size, num_hiddens).")
    expect_not_used(out.seen, BANNED, what, BANNED_HINT)
    want, eH = truth(P64, X64, H64)
    hint = lambda: diagnose(P64, X64, H64, outputs, H)  # noqa: E731 - computed only if a check fails
    got = torch.stack(outputs)
    expect_close(got, torch.stack(want).to(dtype).to(got.device),
                 f"{what}: torch.stack(outputs) (index [step, example, unit])", hint)
    expect_close(H, eH.to(dtype).to(H.device), f"{what}: the final H", hint)
    return outputs, H


def check_forward(student, device, num_steps, batch_size, num_inputs, num_hiddens, seed, dtype=torch.float32,
                  given=True, reset_open=False, truth=book_gru):
    P = make_params(num_inputs, num_hiddens, seed, reset_open)
    X = sequence(num_steps, batch_size, num_inputs, seed)
    H0 = state(batch_size, num_hiddens, seed) if given else None
    what = describe(X, H0, dtype) + (" (reset gate forced open: b_r = 40)" if reset_open else "")
    gru = build(student, P, dtype, device)
    args = (sent(X, dtype, device),) if H0 is None else (sent(X, dtype, device), sent(H0, dtype, device))
    out = call(gru, args, what, watch=BANNED)
    return check_values(P, X, H0, dtype, out, what, truth)


# -- tests ----------------------------------------------------------------------------------------------------
# No test here is a Recipe's: each builds the layer with its own parameters, and the result is a pair
# (outputs, H). The device and speed checks count only for a correct result.


@pytest.mark.points(1.5)
def test_one_step_from_zero_state(student, device):
    """Where the book's GRU and nn.GRU agree: one step from H = 0 (the reset gate multiplies zeros)."""
    check_forward(student, device, num_steps=1, batch_size=3, num_inputs=4, num_hiddens=5, seed=1, given=False,
                  truth=torch_gru)


@pytest.mark.points(1.5)
def test_reset_gate_open_is_nn_gru(student, device):
    """Where they agree again: R = 1 exactly, so (R * H) W_hh = R * (H W_hh)."""
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=3, num_hiddens=4, seed=2,
                  reset_open=True, truth=torch_gru)


@pytest.mark.points(2)
def test_sequence_given_state(student, device):
    check_forward(student, device, num_steps=6, batch_size=4, num_inputs=3, num_hiddens=5, seed=3, dtype=F64)


@pytest.mark.points(1)
def test_default_state_is_zeros(student, device):
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=4, num_hiddens=6, seed=4, given=False)
    # passing None explicitly means the same
    P, X = make_params(2, 3, 5), sequence(3, 2, 2, 5)
    what = "forward(inputs, None) with inputs of shape (3, 2, 2), H=None passed explicitly, float32"
    out = call(build(student, P, torch.float32, device), (sent(X, torch.float32, device), None), what,
               watch=BANNED)
    check_values(P, X, None, torch.float32, out, what)


@pytest.mark.points(0.5)
def test_batch_of_one(student, device):
    check_forward(student, device, num_steps=4, batch_size=1, num_inputs=2, num_hiddens=3, seed=6)
    check_forward(student, device, num_steps=3, batch_size=1, num_inputs=1, num_hiddens=1, seed=7, given=False)


@pytest.mark.points(1.5)
def test_gradients_through_time(student, device):
    T, B, d, h = 5, 3, 4, 5
    P, X, H0 = make_params(d, h, 8), sequence(T, B, d, 8), state(B, h, 8)
    what = describe(X, H0, F64)
    gru = build(student, P, F64, device)
    out = call(gru, (X.to(device), H0.to(device)), what, requires_grad=[0], watch=BANNED)
    check_values(P, X, H0, F64, out, what)
    _, _, as_tensor = unpack(out.value, T, what, SHAPE_HINT)
    G_out = [seeded(B, h, seed=8800 + t, dtype=F64) for t in range(T)]
    G_H = seeded(B, h, seed=8899, dtype=F64)
    grads = ([torch.stack(G_out)] if as_tensor else G_out) + [G_H]
    got = expect_backward(gru, [g.to(device) for g in grads], what,
                          "build every step from inputs, H and the parameters with differentiable torch operations; "
                          "no .detach(), .item() or torch.tensor(...) of results.")
    leaves = {n: p.clone().requires_grad_(True) for n, p in P.items()}
    Xl = X.clone().requires_grad_(True)
    outs, H = book_gru(leaves, Xl, H0)
    loss = (torch.stack(outs) * torch.stack(G_out)).sum() + (H * G_H).sum()
    loss.backward()
    call_grad = f"the gradient of a loss on all outputs and the final H of {what}"
    expect_gradients(got, Xl.grad, {name: leaves[name].grad for name in NAMES}, call_grad, device,
                     missing_hint="use self.{name} in the gate it belongs to (and do not detach it).")


@pytest.mark.points(1)
def test_default_state_on_inputs_device(student, device):
    """A state made with torch.zeros(...) alone stays on the CPU; on a GPU the first matmul fails. Without a GPU,
    PyTorch's "meta" device (shapes, no values) shows the same mistake."""
    check_forward(student, device, num_steps=3, batch_size=2, num_inputs=3, num_hiddens=4, seed=9, given=False)
    gru = student.new(3, 4, seed=0)
    gru.method("to", "meta")
    what = ("forward(inputs, None) with the layer and inputs of shape (3, 2, 3) on a device other than the CPU "
            "(PyTorch's 'meta' device)")
    value = meta_call(gru, (torch.empty(3, 2, 3, device="meta"),), what)
    outputs, H, _ = unpack(value, 3, what, SHAPE_HINT)
    expect_meta([("outputs[0]", outputs[0]), ("H", H)], what)


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    dtype, T, B, d, h = torch.float32, 16, 64, 32, 64
    check_forward(student, device, T, B, d, h, seed=10, given=False)
    P = make_params(d, h, 10)
    X = sequence(T, B, d, 10)
    mine, ref = build(student, P, dtype, device), build(reference, P, dtype, device)
    expect_fast(mine, ref, sent(X, dtype, device), threshold=10,
                call=f"forward(inputs) for inputs of shape ({T}, {B}, {d}) and {h} hidden units",
                hint="loop over time steps only; within a step use matrix products over the whole minibatch "
                     "(torch.matmul(X, self.W_xz)), not loops over examples or hidden units.")
