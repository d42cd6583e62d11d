"""Grader for ch09-RNNScratch: the RNN of book 9.5.1, `__init__` (three parameters, the book's initial values) and
`forward` (H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h) over a sequence).

Expected values come from PyTorch's `nn.RNN` (tanh), run in float64 on the CPU with the student's weights mapped onto
it (weight_ih = W_xh^T, weight_hh = W_hh^T, bias_ih = b_h, bias_hh = 0), from exactly the numbers the student's layer
received: float64 on the CPU keeps the truth free of TF32/cuDNN rounding on a GPU.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, expect_fast, expect_not_used, \
    expect_shape
from autograder.graders.common.rnn import expect_gradients
from autograder.graders.common.sequences import torch_rnn

NAMES = ["W_xh", "W_hh", "b_h"]
BANNED = {"functions": ["rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell"],
          "aten": ["rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell", "_cudnn_rnn", "mkldnn_rnn_layer",
                   "miopen_rnn"]}
BANNED_NAMES = BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]]
BANNED_HINT = "write the recurrence with torch.matmul and torch.tanh; nn.RNN and nn.RNNCell are what this exercise builds."
DEVICE_HINT = ("create the zero initial state on the device of the inputs, as the book does: "
               "torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device). A tensor made with "
               "torch.zeros(...) alone lives on the CPU, and mixing it with GPU tensors is an error.")
RULE = ("at each step H = tanh(X @ W_xh + H @ W_hh + b_h), with the H of the previous step (the given state at the "
        "first one); collect every step's H and return (outputs, H) (book 9.5.1).")


# -- inputs -------------------------------------------------------------------------------------------------------

def make_params(num_inputs, num_hiddens, seed):
    """Weights large enough, and a bias nonzero, that every term matters and mix-ups show, yet scaled with the sizes
    so that the tanh units do not saturate (and float32 rounding does not grow from step to step)."""
    g = torch.Generator().manual_seed(seed)
    return {"W_xh": torch.randn(num_inputs, num_hiddens, generator=g, dtype=torch.float64) * 1.5 / num_inputs ** 0.5,
            "W_hh": torch.randn(num_hiddens, num_hiddens, generator=g, dtype=torch.float64) * 1.1 / num_hiddens ** 0.5,
            "b_h": torch.randn(num_hiddens, generator=g, dtype=torch.float64) * 0.5}


def make_inputs(num_steps, batch_size, num_inputs, num_hiddens, seed, state=True):
    g = torch.Generator().manual_seed(1000 + seed)
    X = torch.randn(num_steps, batch_size, num_inputs, generator=g, dtype=torch.float64)
    H = torch.randn(batch_size, num_hiddens, generator=g, dtype=torch.float64) * 0.8 if state else None
    return X, H


# -- the usual mistakes ---------------------------------------------------------------------------------------------

def wrong(P, X, H0, mistake):
    """The outputs (stacked) and last H that one of the usual mistakes gives, in float64."""
    W_xh, W_hh, b_h = P["W_xh"], P["W_hh"], P["b_h"]
    H = torch.zeros(X.shape[1], W_xh.shape[1], dtype=torch.float64) if H0 is None or mistake == "state ignored" \
        else H0
    first, act = H, {"no tanh": lambda z: z, "sigmoid": torch.sigmoid, "relu": torch.relu}.get(mistake, torch.tanh)
    outs = []
    for x in X:
        h_prev = first if mistake == "state not carried" else H
        W = W_hh.T if mistake == "W_hh transposed" else W_hh
        b = 0 if mistake == "no bias" else b_h
        new = act(x @ W_xh + h_prev @ W + b)
        outs.append(H if mistake == "append before update" else new)
        H = new
    return torch.stack(outs), H


MISTAKES = {
    "W_hh transposed": "multiply H @ W_hh, not by the transpose of W_hh (it is square, so the shapes do not warn you).",
    "no tanh": "apply tanh: H = tanh(X @ W_xh + H @ W_hh + b_h).",
    "sigmoid": "the book's RNN uses tanh, not the sigmoid.",
    "relu": "the book's RNN uses tanh, not ReLU.",
    "state not carried": "each step must use the H of the previous step: reassign H inside the loop.",
    "state ignored": "when a state is given, start from it (H, = state) instead of zeros.",
    "append before update": "append H to outputs after computing the new H of the step, not before.",
    "no bias": "add the bias b_h inside the tanh.",
}


def diagnose(P, X, H0, got_outputs, got_H) -> str:
    for mistake, hint in MISTAKES.items():
        outs, H = wrong(P, X, H0, mistake)
        if got_outputs.shape == outs.shape and torch.allclose(got_outputs.double().cpu(), outs, rtol=1e-3, atol=1e-5):
            return hint
    return RULE


# -- calling the student's layer ------------------------------------------------------------------------------------

def rounded(v, dtype):
    """What the student receives, back in float64: the truth is computed from exactly those numbers."""
    if isinstance(v, torch.Tensor):
        return v.to(dtype).to(torch.float64)
    if isinstance(v, dict):
        return {k: rounded(x, dtype) for k, x in v.items()}
    return v


def build(student, P, dtype, device):
    num_inputs, num_hiddens = P["W_xh"].shape
    try:
        rnn = student.new(num_inputs, num_hiddens, seed=0)
    except StudentError as e:
        as_mistake(e, f"RNNScratch({num_inputs}, {num_hiddens})",
                   "the constructor is RNNScratch(num_inputs, num_hiddens, sigma=0.01)." if e.type == "TypeError"
                   else "")
    if dtype == torch.float64:
        rnn.method("double")
    for name in NAMES:
        try:
            rnn.set(name, P[name].to(dtype).to(device))
        except StudentError as e:
            as_mistake(e, f"setting the layer's {name}",
                       f"keep the parameter self.{name} of shape {tuple(P[name].shape)} (the book's name).")
    return rnn


def describe(X, H, dtype):
    T, B, d = X.shape
    return (f"forward(inputs, {'(H,)' if H is not None else 'None'}) with inputs of shape ({T}, {B}, {d}) "
            f"(num_steps, batch_size, num_inputs), {'a given state' if H is not None else 'no state'}, "
            f"{str(dtype).replace('torch.', '')}")


def call(rnn, X, H, what, explicit_none=False, **kwargs):
    args = (X,) if H is None and not explicit_none else (X, None if H is None else (H,))
    try:
        return rnn.run(*args, **kwargs)
    except StudentError as e:
        hint = ""
        if "device" in e.message.lower():
            hint = DEVICE_HINT
        elif H is not None and e.type in ("RuntimeError", "TypeError") and "tuple" in e.message:
            hint = "a given state is a tuple holding one tensor, (H,), as in the book: unpack it with H, = state."
        as_mistake(e, what, hint)


def unpack(value, num_steps, what):
    """(stacked outputs, H, whether outputs came stacked) from what forward returned."""
    shape_hint = ("forward returns (outputs, H): outputs is the list of each step's H, each of shape "
                  "(batch_size, num_hiddens), and H is the state after the last step.")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Mistake(f"{what} returned {type(value).__name__}"
                      f"{f' of length {len(value)}' if isinstance(value, (tuple, list)) else ''}, expected a pair "
                      "(outputs, H).", shape_hint)
    outputs, H = value
    stacked = isinstance(outputs, torch.Tensor)
    if stacked:
        outputs = list(outputs.unbind(0)) if outputs.dim() == 3 else [outputs]
    if not isinstance(outputs, (list, tuple)) or len(outputs) != num_steps or not all(
            isinstance(o, torch.Tensor) for o in outputs):
        n = len(outputs) if isinstance(outputs, (list, tuple)) else type(outputs).__name__
        raise Mistake(f"{what} returned outputs with {n} entries for {num_steps} time steps; expected one H per "
                      "step.", shape_hint)
    if isinstance(H, (tuple, list)) and len(H) == 1:
        raise Mistake(f"{what} returned the final state as a tuple (H,); return the tensor H itself, as the book "
                      "does: return outputs, H.", shape_hint)
    if not isinstance(H, torch.Tensor):
        raise Mistake(f"{what} returned {type(H).__name__} as the final state, expected the tensor H.", shape_hint)
    shapes = {tuple(o.shape) for o in outputs}
    if len(shapes) != 1:
        raise Mistake(f"{what} returned outputs of different shapes {sorted(shapes)}.", shape_hint)
    return torch.stack(outputs), H, stacked


def check_values(P, X, H0, dtype, out, what):
    P64, X64, H64 = rounded(P, dtype), rounded(X, dtype), rounded(H0, dtype)
    outputs, H, _ = unpack(out.value, X.shape[0], what)
    exp_outputs, eH = torch_rnn(P64["W_xh"], P64["W_hh"], P64["b_h"], X64, H64)
    B, h = X.shape[1], P["W_xh"].shape[1]
    hint_shape = "each H has shape (batch_size, num_hiddens)."
    expect_shape(outputs[0], (B, h), f"{what}: outputs[0]", hint_shape)
    expect_shape(H, (B, h), f"{what}: the final H", hint_shape)
    want = exp_outputs.to(dtype)
    ok = torch.allclose(outputs.cpu().double(), want.double(), rtol=1e-3, atol=1e-5)
    hint = "" if ok else diagnose(P64, X64, H64, outputs, H)
    expect_close(outputs, want.to(outputs.device), f"{what}: torch.stack(outputs) (index [step, example, unit])", hint)
    expect_close(H, eH.to(dtype).to(H.device), f"{what}: the final H",
                 "return the H of the last step as the second result.")
    expect_not_used(out.seen, BANNED_NAMES, what, BANNED_HINT)
    return outputs, H


def check_forward(student, device, num_steps, batch_size, num_inputs, num_hiddens, seed, dtype=torch.float32,
                  state=True):
    P = make_params(num_inputs, num_hiddens, seed)
    X, H = make_inputs(num_steps, batch_size, num_inputs, num_hiddens, seed, state)
    what = describe(X, H, dtype)
    rnn = build(student, P, dtype, device)
    out = call(rnn, X.to(dtype).to(device), None if H is None else H.to(dtype).to(device), what, watch=BANNED)
    return check_values(P, X, H, dtype, out, what)


# -- tests ------------------------------------------------------------------------------------------------------------
# Every value check also watches for nn.RNN / nn.RNNCell: the exercise is the recurrence, so a layer that delegates
# to PyTorch's RNN earns nothing.

@pytest.mark.points(1)
def test_parameters_and_their_initial_values(student, device):
    for num_inputs, num_hiddens, sigma in [(64, 128, 0.01), (96, 96, 0.5)]:
        call_ = f"RNNScratch({num_inputs}, {num_hiddens}, sigma={sigma})"
        try:
            state = student.new(num_inputs, num_hiddens, sigma, seed=0).state()
        except StudentError as e:
            as_mistake(e, call_, "the constructor is RNNScratch(num_inputs, num_hiddens, sigma=0.01)."
                       if e.type == "TypeError" else "")
        shapes = {"W_xh": (num_inputs, num_hiddens), "W_hh": (num_hiddens, num_hiddens), "b_h": (num_hiddens,)}
        for name, shape in shapes.items():
            if name not in state:
                raise Mistake(f"{call_} has no parameter {name} (its parameters: {sorted(state) or 'none'}).",
                              f"create self.{name} = nn.Parameter(...) in __init__, with the book's name.")
            expect_shape(state[name], shape, f"{call_}.{name}", f"{name} has shape {shape}.")
        expect_close(state["b_h"], torch.zeros(num_hiddens, device=device), f"{call_}.b_h",
                     "b_h starts as zeros: nn.Parameter(torch.zeros(num_hiddens)).")
        for name in ("W_xh", "W_hh"):
            W = state[name].double()
            mean, std = W.mean().item(), W.std().item()
            if abs(mean) > 0.1 * sigma or abs(std / sigma - 1) > 0.1:
                raise Mistake(f"{call_}.{name} has mean {mean:.3g} and standard deviation {std:.3g}; expected about 0 "
                              f"and sigma = {sigma}.", f"draw {name} as torch.randn(...) * sigma: normal, mean 0, "
                                                       "standard deviation sigma.")


@pytest.mark.points(1.5)
def test_one_step_from_a_given_state(student, device):
    check_forward(student, device, num_steps=1, batch_size=3, num_inputs=4, num_hiddens=5, seed=1)


@pytest.mark.points(2)
def test_sequence_from_a_given_state_float64(student, device):
    check_forward(student, device, num_steps=6, batch_size=4, num_inputs=3, num_hiddens=5, seed=2,
                  dtype=torch.float64)


@pytest.mark.points(1.5)
def test_default_state_is_zeros(student, device):
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=4, num_hiddens=6, seed=3, state=False)
    P = make_params(2, 3, 4)
    X, _ = make_inputs(3, 2, 2, 3, 4, state=False)
    what = "forward(inputs, None) with inputs of shape (3, 2, 2), state=None passed explicitly, float32"
    out = call(build(student, P, torch.float32, device), X.float().to(device), None, what, explicit_none=True,
               watch=BANNED)
    check_values(P, X, None, torch.float32, out, what)


@pytest.mark.points(0.5)
def test_batch_of_one(student, device):
    check_forward(student, device, num_steps=4, batch_size=1, num_inputs=2, num_hiddens=3, seed=5)
    check_forward(student, device, num_steps=3, batch_size=1, num_inputs=1, num_hiddens=1, seed=6, state=False)


@pytest.mark.points(1.5)
def test_gradients_through_time(student, device):
    dtype, T, B, d, h = torch.float64, 5, 3, 4, 5
    P = make_params(d, h, 7)
    X, H0 = make_inputs(T, B, d, h, 7)
    what = describe(X, H0, dtype)
    rnn = build(student, P, dtype, device)
    out = call(rnn, X.to(device), H0.to(device), what, requires_grad=[0], watch=BANNED)
    check_values(P, X, H0, dtype, out, what)
    _, _, stacked = unpack(out.value, T, what)
    g = torch.Generator().manual_seed(77)
    G_out = torch.randn(T, B, h, generator=g, dtype=dtype)
    G_H = torch.randn(B, h, generator=g, dtype=dtype)
    grads = ([G_out] if stacked else list(G_out.unbind(0))) + [G_H]
    try:
        got = rnn.backward([t.to(device) for t in grads])
    except StudentError as e:
        as_mistake(e, f"computing gradients through {what}",
                   "build every step from inputs, H and the parameters with differentiable torch operations; no "
                   ".detach(), .item() or torch.tensor(...) of results.")
    # the truth: autograd through the float64 recurrence
    leaves = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    Xl = X.clone().requires_grad_(True)
    H = H0
    outs = []
    for x in Xl:
        H = torch.tanh(x @ leaves["W_xh"] + H @ leaves["W_hh"] + leaves["b_h"])
        outs.append(H)
    ((torch.stack(outs) * G_out).sum() + (H * G_H).sum()).backward()
    call_grad = f"the gradient of a loss on all outputs and the final H of {what}"
    expect_gradients(got, Xl.grad, {name: leaves[name].grad for name in NAMES}, call_grad, device,
                     missing_hint="use self.{name} in the recurrence (and do not detach it).")


@pytest.mark.points(1)
def test_default_state_on_the_inputs_device(student, device):
    """A state made with torch.zeros(...) alone stays on the CPU; on a GPU the first matmul fails. Without a GPU,
    PyTorch's "meta" device (shapes, no values) shows the same mistake."""
    check_forward(student, device, num_steps=3, batch_size=2, num_inputs=3, num_hiddens=4, seed=8, state=False)
    rnn = student.new(3, 4, seed=0)
    rnn.method("to", "meta")
    what = ("forward(inputs) with the layer and inputs of shape (3, 2, 3) on a device other than the CPU (PyTorch's "
            "'meta' device)")
    try:
        out = rnn.run(torch.empty(3, 2, 3, device="meta"))
    except StudentError as e:
        hint = DEVICE_HINT if "device" in e.message.lower() else (
            "the 'meta' device has shapes but no values: make the state with torch.zeros(..., device=inputs.device) "
            "and compute with tensor operations only (no .item() or .tolist()).")
        as_mistake(e, what, hint)
    outputs, H, _ = unpack(out.value, 3, what)
    for name, t in [("outputs[0]", outputs[0]), ("H", H)]:
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
    expect_fast(mine, ref, X.to(dtype).to(device), threshold=10,
                call=f"forward(inputs) for inputs of shape ({T}, {B}, {d}) and {h} hidden units",
                hint="loop over time steps only; within a step use matrix products over the whole minibatch "
                     "(torch.matmul(X, self.W_xh)), not loops over examples or hidden units.")
