"""Grader for ch10-BiRNNScratch: a forward and a backward RNNScratch whose outputs are concatenated (book 10.4.1).

`__init__` is given (two RNNScratch layers, `f_rnn` and `b_rnn`); the exercise is `forward(inputs, Hs=None)`: the
forward layer reads the sequence in time order, the backward layer reads it reversed, the backward outputs are
reversed back into time order, and step t's output is the concatenation, on the feature axis, of the forward
output and the backward output of step t, (batch_size, 2 * num_hiddens). The final states come back as the pair
(f_H, b_H); `Hs`, when given, is that pair.

The truth is PyTorch's `nn.RNN(bidirectional=True)` (tanh), in float64 on the CPU, with the book's weights of each
direction mapped onto it (`weight_ih_l0 = f_rnn.W_xh.T`, `weight_ih_l0_reverse = b_rnn.W_xh.T`, ...): its output
at step t is [forward h_t, backward h_t] and its final states are (forward after the last step, backward after the
first), which is exactly the book's layer. Handing the weights to nn.RNN earns nothing.
"""
import pytest
import torch
from torch import nn

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_not_used, \
    expect_shape, first_matching_hint, seeded
from autograder.graders.common.rnn import (F64, RNN_ATEN, RNN_FUNCTIONS, call, dtype_name, expect_gradients,
                                           expect_meta, load_rnn, meta_call, rnn_params, rounded, scratch_rnn, sent,
                                           sequence, state)

NAMES = ["W_xh", "W_hh", "b_h"]
DIRECTIONS = ["f_rnn", "b_rnn"]
BANNED = {"functions": RNN_FUNCTIONS, "aten": RNN_ATEN}
BANNED_HINT = ("use the two given RNNScratch layers, self.f_rnn and self.b_rnn; nn.RNN(bidirectional=True) is what "
               "this exercise builds.")
SHAPE_HINT = ("forward returns (outputs, (f_H, b_H)): outputs is the list of num_steps tensors of shape (batch_size, "
              "2 * num_hiddens), the forward and backward outputs of each step concatenated on the last axis, and "
              "(f_H, b_H) are the two layers' final states.")
GENERIC_HINT = ("f_outputs, f_H = self.f_rnn(inputs, f_H); b_outputs, b_H = self.b_rnn(reversed(inputs), b_H); then "
                "step t's output is torch.cat((f_outputs[t], b_outputs[num_steps - 1 - t]), -1): the backward layer's "
                "outputs come out last step first, so reverse them back before pairing them with the forward ones.")


def make_directions(num_inputs, num_hiddens, seed):
    return [rnn_params(num_inputs, num_hiddens, 100 * seed + 3 * i) for i in range(2)]


def make_states(batch_size, num_hiddens, seed):
    return (state(batch_size, num_hiddens, seed, k=1), state(batch_size, num_hiddens, seed, k=2))


# -- the truth and the usual mistakes ---------------------------------------------------------------------------

def torch_birnn(dirs, X, Hs=None):
    """nn.RNN(bidirectional=True) in float64 on the CPU: (outputs (T, B, 2h), (f_H, b_H))."""
    num_inputs, num_hiddens = dirs[0]["W_xh"].shape
    m = nn.RNN(num_inputs, num_hiddens, bidirectional=True, dtype=F64)
    load_rnn(m, dirs, ["l0", "l0_reverse"])
    with torch.no_grad():
        out, H_n = m(X) if Hs is None else m(X, torch.stack(Hs))
    return out, (H_n[0], H_n[1])


MISTAKES = {
    "backward not reversed back": "the backward layer's outputs come out in reversed time order (its first output "
                                  "belongs to the last step): reverse them back before concatenating, "
                                  "zip(f_outputs, reversed(b_outputs)).",
    "backward reads forward order": "the backward layer reads the sequence from the last step to the first: call "
                                    "self.b_rnn on reversed(inputs) (or inputs.flip(0)).",
    "two forward layers": "the backward layer reads reversed(inputs), and its outputs are reversed back into time "
                          "order; you ran it forwards, like the forward layer.",
    "halves swapped": "concatenate the forward output first, then the backward one: torch.cat((f, b), -1).",
    "one layer for both": "the backward direction has its own parameters: use self.b_rnn for it, not self.f_rnn.",
    "states returned swapped": "return the final states as (f_H, b_H), the forward layer's first.",
    "states unpacked swapped": "Hs is the pair (f_H, b_H), the forward layer's state first: f_H, b_H = Hs.",
    "states ignored": "when Hs is given, start the forward layer from f_H and the backward layer from b_H.",
    "outputs reversed": "the outputs are in time order: step t's output pairs the forward and backward outputs of "
                        "step t (reverse only the backward layer's outputs).",
}


def scratch_birnn(dirs, X, Hs=None, mistake=""):
    """The book's forward in float64, or one of MISTAKES: (list of outputs (B, 2h), (f_H, b_H))."""
    f_P, b_P = dirs
    if mistake == "one layer for both":
        b_P = f_P
    f_H, b_H = (None, None) if Hs is None or mistake == "states ignored" else Hs
    if mistake == "states unpacked swapped" and Hs is not None:
        f_H, b_H = b_H, f_H
    f_outputs, f_H = scratch_rnn(f_P, X, f_H)
    forwards = mistake in ("backward reads forward order", "two forward layers")
    b_outputs, b_H = scratch_rnn(b_P, X if forwards else X.flip(0), b_H)
    if mistake not in ("backward not reversed back", "two forward layers"):
        b_outputs = b_outputs[::-1]
    pairs = [(b, f) if mistake == "halves swapped" else (f, b) for f, b in zip(f_outputs, b_outputs)]
    outputs = [torch.cat(p, -1) for p in pairs]
    if mistake == "outputs reversed":
        outputs = outputs[::-1]
    return outputs, ((b_H, f_H) if mistake == "states returned swapped" else (f_H, b_H))


def diagnose(dirs, X, Hs, outputs, states) -> str:
    def answer(mistake):
        def make():
            outs, (f_H, b_H) = scratch_birnn(dirs, X, Hs, mistake)
            h = f_H.shape[-1]
            return torch.cat([torch.stack(outs).reshape(-1, h), f_H, b_H])
        return make

    h = states[0].shape[-1]
    got = torch.cat([torch.stack(outputs).reshape(-1, h), states[0], states[1]])
    candidates = {"": answer(""), **{hint: answer(m) for m, hint in MISTAKES.items()}}
    return first_matching_hint(got, candidates, default=GENERIC_HINT)


# -- calling the student's layer --------------------------------------------------------------------------------

def build(student, dirs, dtype, device):
    num_inputs, num_hiddens = dirs[0]["W_xh"].shape
    what = f"BiRNNScratch({num_inputs}, {num_hiddens})"
    try:
        model = student.new(num_inputs, num_hiddens, seed=0)
    except StudentError as e:
        as_mistake(e, what)
    if dtype == F64:
        model.method("double")
    for direction, P in zip(DIRECTIONS, dirs):
        for name in NAMES:
            try:
                model.set(f"{direction}.{name}", P[name].to(dtype).to(device))
            except StudentError as e:
                as_mistake(e, f"setting {direction}.{name} of {what}",
                           "keep the given __init__: self.f_rnn and self.b_rnn, two RNNScratch layers.")
    return model


def describe(X, Hs, dtype):
    T, B, d = X.shape
    return (f"forward(inputs, {'Hs' if Hs is not None else 'None'}) with inputs of shape ({T}, {B}, {d}) (num_steps, "
            f"batch_size, num_inputs), {'given states Hs = (f_H, b_H)' if Hs is not None else 'Hs=None'}, "
            f"{dtype_name(dtype)}")


def unpack(value, X, h, what):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise Mistake(f"{what} returned {type(value).__name__}{size}, expected a pair (outputs, (f_H, b_H)).",
                      SHAPE_HINT)
    outputs, states = value
    T, B = X.shape[:2]
    if isinstance(outputs, torch.Tensor):
        outputs = list(outputs.unbind(0)) if outputs.dim() == 3 else [outputs]
    if not isinstance(outputs, (list, tuple)) or len(outputs) != T or not all(
            isinstance(o, torch.Tensor) for o in outputs):
        n = f"{len(outputs)} entries" if isinstance(outputs, (list, tuple)) else f"a {type(outputs).__name__}"
        raise Mistake(f"{what} returned outputs with {n} for {T} time steps; expected one tensor per step.",
                      SHAPE_HINT)
    for t, o in enumerate(outputs):
        hint = ("concatenate the two directions on the feature axis: torch.cat((f, b), -1), not on the batch axis."
                if tuple(o.shape) == (2 * B, h) else SHAPE_HINT)
        expect_shape(o, (B, 2 * h), f"{what}: outputs[{t}]", hint)
    if isinstance(states, torch.Tensor) and states.dim() == 3 and states.shape[0] == 2:
        states = tuple(states.unbind(0))
    if not isinstance(states, (list, tuple)) or len(states) != 2 or not all(
            isinstance(H, torch.Tensor) for H in states):
        raise Mistake(f"{what} returned {type(states).__name__} as its state, expected the pair (f_H, b_H).",
                      SHAPE_HINT)
    for name, H in zip(("f_H", "b_H"), states):
        expect_shape(H, (B, h), f"{what}: {name}", "each direction's state has shape (batch_size, num_hiddens).")
    return list(outputs), tuple(states)


def check_values(dirs, X, Hs, dtype, out, what):
    h = dirs[0]["W_xh"].shape[1]
    expect_not_used(out.seen, BANNED, what, BANNED_HINT)
    outputs, states = unpack(out.value, X, h, what)
    P64, X64, H64 = rounded(dirs, dtype), rounded(X, dtype), rounded(Hs, dtype)
    want, (f_H, b_H) = torch_birnn(P64, X64, H64)
    hint = lambda: diagnose(P64, X64, H64, outputs, states)  # noqa: E731 - computed only if a check fails
    got = torch.stack(outputs)
    expect_close(got, want.to(dtype).to(got.device),
                 f"{what}: torch.stack(outputs) (index [step, example, unit]; units 0 to {h - 1} are the forward "
                 f"layer's, {h} to {2 * h - 1} the backward layer's)", hint)
    expect_close(states[0], f_H.to(dtype).to(states[0].device), f"{what}: f_H, the forward layer's final state",
                 hint)
    expect_close(states[1], b_H.to(dtype).to(states[1].device),
                 f"{what}: b_H, the backward layer's final state (after it has read step 0)", hint)
    return outputs, states


def check_forward(student, device, num_steps, batch_size, num_inputs, num_hiddens, seed, dtype=torch.float32,
                  given=True):
    dirs = make_directions(num_inputs, num_hiddens, seed)
    X = sequence(num_steps, batch_size, num_inputs, seed)
    Hs = make_states(batch_size, num_hiddens, seed) if given else None
    what = describe(X, Hs, dtype)
    model = build(student, dirs, dtype, device)
    args = (sent(X, dtype, device),) if Hs is None else (sent(X, dtype, device), sent(Hs, dtype, device))
    out = call(model, args, what, watch=BANNED)
    return check_values(dirs, X, Hs, dtype, out, what)


# -- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_sequence_given_states(student, device):
    check_forward(student, device, num_steps=6, batch_size=4, num_inputs=3, num_hiddens=5, seed=1, dtype=F64)


@pytest.mark.points(2)
def test_default_states_are_zeros(student, device):
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=4, num_hiddens=3, seed=2, given=False)


@pytest.mark.points(1)
def test_one_step(student, device):
    """With one step both directions read the same input: what is left is the concatenation."""
    check_forward(student, device, num_steps=1, batch_size=3, num_inputs=2, num_hiddens=4, seed=3)


@pytest.mark.points(1)
def test_batch_of_one(student, device):
    check_forward(student, device, num_steps=4, batch_size=1, num_inputs=2, num_hiddens=3, seed=4)
    check_forward(student, device, num_steps=3, batch_size=1, num_inputs=1, num_hiddens=1, seed=5, given=False)


@pytest.mark.points(2)
def test_gradients_through_both_directions(student, device):
    T, B, d, h = 5, 3, 3, 4
    dirs, X, Hs = make_directions(d, h, 6), sequence(T, B, d, 6), make_states(B, h, 6)
    what = describe(X, Hs, F64)
    model = build(student, dirs, F64, device)
    out = call(model, (X.to(device), tuple(H.to(device) for H in Hs)), what, requires_grad=[0], watch=BANNED)
    check_values(dirs, X, Hs, F64, out, what)
    outputs_value, states_value = out.value
    G_out = seeded(T, B, 2 * h, seed=6600, dtype=F64)
    G_H = [seeded(B, h, seed=6601 + i, dtype=F64) for i in range(2)]
    grads = [G_out] if isinstance(outputs_value, torch.Tensor) else list(G_out.unbind(0))
    grads += [torch.stack(G_H)] if isinstance(states_value, torch.Tensor) else G_H
    got = expect_backward(model, [g.to(device) for g in grads], what,
                          "keep both directions' outputs and states connected to the inputs (no .detach(), no "
                          "torch.tensor(...) of results).")
    leaves = [{n: p.clone().requires_grad_(True) for n, p in P.items()} for P in dirs]
    Xl = X.clone().requires_grad_(True)
    outputs, (f_H, b_H) = scratch_birnn(leaves, Xl, Hs)
    ((torch.stack(outputs) * G_out).sum() + (f_H * G_H[0]).sum() + (b_H * G_H[1]).sum()).backward()
    call_grad = f"the gradient of a loss on all outputs and both final states of {what}"
    expect_gradients(got, Xl.grad, {f"{direction}.{name}": P[name].grad for direction, P in zip(DIRECTIONS, leaves)
                                    for name in NAMES}, call_grad, device, noun="",
                     inputs_hint="reverse with differentiable operations (reversed(inputs), inputs.flip(0), slicing "
                                 "of lists), not by copying values into a new tensor.",
                     missing_hint="both layers take part in the forward: self.f_rnn forwards, self.b_rnn backwards.",
                     wrong_hint="the values are right but the gradient is not: something is detached.")


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    """Checked on PyTorch's "meta" device (shapes, no values), which shows a tensor made on a fixed device on a
    CPU-only machine too."""
    check_forward(student, device, num_steps=3, batch_size=2, num_inputs=3, num_hiddens=4, seed=7, given=False)
    model = student.new(3, 4, seed=0)
    model.method("to", "meta")
    what = ("forward(inputs, None) with the layer and inputs of shape (3, 2, 3) on a device other than the CPU "
            "(PyTorch's 'meta' device)")
    value = meta_call(model, (torch.empty(3, 2, 3, device="meta"),), what)
    outputs, states = value if isinstance(value, (tuple, list)) and len(value) == 2 else (value, ())
    first = outputs[0] if isinstance(outputs, (list, tuple)) and outputs else outputs
    states = [states] if isinstance(states, torch.Tensor) else states if isinstance(states, (list, tuple)) else []
    expect_meta([("outputs[0]", first), *[(n, H) for n, H in zip(("f_H", "b_H"), states)]], what)
