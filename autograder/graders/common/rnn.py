"""What the recurrent-layer graders share (ch09 RNNScratch; ch10 LSTM, GRU, stacked, bidirectional).

Inputs are made in float64 on the CPU (the truth's numbers); `sent` casts them for the call and `rounded` gives
the truth exactly the numbers the student received. Calls that fail on a device mix-up get the device hint; the
result of a forward is unpacked into a list of per-step outputs (a stacked tensor is accepted too) and a state.
"""
import torch
from torch import nn

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, seeded

F64 = torch.float64

# nn.RNN (tanh) is the book's RNNScratch with X @ W and one bias: what the stacked and bidirectional layers
# compose; the library's recurrent layers and cells, which a layer could hand the weights to instead
RNN_FUNCTIONS = ["rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell", "gru", "gru_cell", "lstm", "lstm_cell",
                 "_thnn_fused_gru_cell", "_thnn_fused_lstm_cell"]
RNN_ATEN = ["rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell", "gru", "gru_cell", "lstm", "lstm_cell",
            "_thnn_fused_gru_cell", "_thnn_fused_lstm_cell", "_cudnn_rnn", "miopen_rnn", "mkldnn_rnn_layer"]

DEVICE_HINT = ("create every new tensor (a zero state, say) on the device of the inputs: torch.zeros(..., "
               "device=inputs.device). A tensor made with torch.zeros(...) alone lives on the CPU, and mixing it "
               "with GPU tensors is an error.")


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def rounded(v, dtype):
    """What the student receives, back in float64: the truth is computed from exactly those numbers."""
    if isinstance(v, torch.Tensor):
        return v.to(dtype).to(F64)
    if isinstance(v, (tuple, list)):
        return type(v)(rounded(x, dtype) for x in v)
    if isinstance(v, dict):
        return {k: rounded(x, dtype) for k, x in v.items()}
    return v


def sent(v, dtype, device):
    """The grader's float64 CPU value, as the student gets it (lists stay lists, tuples tuples)."""
    if isinstance(v, torch.Tensor):
        return v.to(dtype).to(device)
    if isinstance(v, (tuple, list)):
        return type(v)(sent(x, dtype, device) for x in v)
    return v


def sequence(num_steps, batch_size, num_inputs, seed):
    return seeded(num_steps, batch_size, num_inputs, seed=1000 + 10 * seed, dtype=F64)


def state(batch_size, num_hiddens, seed, k=1):
    return seeded(batch_size, num_hiddens, seed=1000 + 10 * seed + k, dtype=F64, scale=0.8)


def rnn_params(num_inputs, num_hiddens, seed):
    """One layer of the book's RNNScratch: W_xh (d, h), W_hh (h, h), b_h (h,), large enough to matter."""
    return {"W_xh": seeded(num_inputs, num_hiddens, seed=seed, dtype=F64, scale=0.7),
            "W_hh": seeded(num_hiddens, num_hiddens, seed=seed + 1, dtype=F64, scale=0.5),
            "b_h": seeded(num_hiddens, seed=seed + 2, dtype=F64, scale=0.5)}


def scratch_rnn(P, X, H=None, W_hh=None):
    """The book's RNNScratch in float64: (list of each step's H, the last H)."""
    H = torch.zeros(X.shape[1], P["W_xh"].shape[1], dtype=X.dtype) if H is None else H
    W_hh = P["W_hh"] if W_hh is None else W_hh
    outputs = []
    for x in X:
        H = torch.tanh(x @ P["W_xh"] + H @ W_hh + P["b_h"])
        outputs.append(H)
    return outputs, H


def load_rnn(m: nn.RNN, layer_params, suffixes):
    """Copy the book's (W_xh, W_hh, b_h) of each layer/direction into nn.RNN (X @ W means weight = W.T)."""
    with torch.no_grad():
        for P, suffix in zip(layer_params, suffixes):
            getattr(m, f"weight_ih_{suffix}").copy_(P["W_xh"].T)
            getattr(m, f"weight_hh_{suffix}").copy_(P["W_hh"].T)
            getattr(m, f"bias_ih_{suffix}").copy_(P["b_h"])
            getattr(m, f"bias_hh_{suffix}").zero_()


def call(layer, args, what, error_hint=None, **kwargs):
    """Run a forward; an error becomes a message naming the call, with the device hint where it fits, else
    `error_hint(e)` (a hint for other errors, or "")."""
    try:
        return layer.run(*args, **kwargs)
    except StudentError as e:
        if "device" in e.message.lower():
            as_mistake(e, what, DEVICE_HINT)
        as_mistake(e, what, error_hint(e) if error_hint else "")


def unpack(value, num_steps, what, shape_hint, state_check=None):
    """(list of per-step outputs, state, whether outputs came stacked) from (outputs, state)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise Mistake(f"{what} returned {type(value).__name__}{size}, expected a pair (outputs, state).", shape_hint)
    outputs, st = value
    as_tensor = isinstance(outputs, torch.Tensor)
    if as_tensor:
        outputs = list(outputs.unbind(0)) if outputs.dim() == 3 else [outputs]
    if not isinstance(outputs, (list, tuple)) or len(outputs) != num_steps:
        n = len(outputs) if isinstance(outputs, (list, tuple)) else type(outputs).__name__
        raise Mistake(f"{what} returned outputs with {n} entries for {num_steps} time steps; expected one "
                      "per step.", shape_hint)
    if not all(isinstance(o, torch.Tensor) for o in outputs):
        raise Mistake(f"{what} returned outputs that are not all tensors.", shape_hint)
    return list(outputs), st, as_tensor


def meta_call(layer, args, what, hint=DEVICE_HINT):
    """Run a layer moved to PyTorch's "meta" device (shapes, no values): code that makes a tensor on a fixed
    device fails there as it would on a GPU, so this catches it on a CPU-only machine too."""
    try:
        return layer.run(*args).value
    except StudentError as e:
        as_mistake(e, what, hint if "device" in e.message.lower() else (
            "the 'meta' device has shapes but no values: make new tensors with device=inputs.device and "
            "compute with tensor operations only (no .item() or .tolist())."))


def expect_meta(tensors, what, hint=DEVICE_HINT):
    for name, t in tensors:
        if not isinstance(t, torch.Tensor):
            continue
        if t.device.type != "meta":
            raise Mistake(f"{what}: {name} came back on {getattr(t, 'sent_from', t.device)}, expected it on the "
                          "device of the inputs.", hint)


# the hints most recurrent layers share: a state that does not carry the gradient from step to step, and a
# parameter's gradient that is wrong while the values are right
THROUGH_TIME_HINT = ("the gradient flows back through every step's H: use the previous step's tensor itself (no "
                     ".detach(), no copies into new tensors).")
DETACHED_HINT = "the values are right but the gradient is not: something is detached or modified in place."


def expect_gradients(got, d_inputs, d_params, call_grad, device, *, missing_hint, inputs_hint=THROUGH_TIME_HINT,
                     wrong_hint=DETACHED_HINT, noun="the parameter "):
    """The student's gradients (`got`, from expect_backward) against the truth's: `d_inputs`, and `d_params`
    {parameter name as the student's module reports it: true gradient}. `missing_hint` may name the parameter
    as {name}; `noun` comes before a parameter's name in the message of a missing gradient."""
    if got.args[0] is None:
        raise Mistake(f"{call_grad}: no gradient reached inputs.",
                      "the outputs must come from inputs through differentiable torch operations.")
    expect_close(got.args[0], d_inputs.to(device), f"{call_grad}, with respect to inputs", inputs_hint)
    for name, truth in d_params.items():
        g_p = got.params.get(name)
        if g_p is None:
            raise Mistake(f"{call_grad}: no gradient reached {noun}{name}.", missing_hint.format(name=name))
        expect_close(g_p, truth.to(device), f"{call_grad}, with respect to {name}", wrong_hint)
