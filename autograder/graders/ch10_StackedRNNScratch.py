"""Grader for ch10-StackedRNNScratch: layers of the book's RNNScratch stacked into a deep RNN (book 10.3.1).

The layers themselves (the lesson's given RNNScratch) are not the exercise; what is checked is the wiring: the
layers are registered submodules `rnns[0]`, ..., `rnns[num_layers - 1]` (layer 0 takes `num_inputs` inputs, the
others `num_hiddens`), each layer reads the outputs of the one below, each starts from its own state, and forward
returns the top layer's outputs (num_steps, batch_size, num_hiddens) with the list of every layer's final state.

The truth is PyTorch's multilayer `nn.RNN` (tanh), in float64 on the CPU, with the book's weights of each layer
mapped onto it (`weight_ih_l{i} = W_xh.T`, `weight_hh_l{i} = W_hh.T`, the one bias in `bias_ih_l{i}`): exactly
the book's stacked RNN. Handing the weights to nn.RNN (or another library recurrent layer) earns nothing.
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
BANNED = {"functions": RNN_FUNCTIONS, "aten": RNN_ATEN}
BANNED_HINT = ("stack the given RNNScratch layers; nn.RNN (and the other library recurrent layers) are not for "
               "this exercise.")
LAYERS_HINT = ("in __init__, self.rnns = nn.Sequential(*[RNNScratch(num_inputs if i == 0 else num_hiddens, "
               "num_hiddens, sigma) for i in range(num_layers)]) (an nn.ModuleList works too): layer 0 reads the "
               "inputs, every other layer reads the num_hiddens outputs of the layer below, and a registered "
               "container makes their parameters the model's (a plain Python list hides them from the optimizer).")
SHAPE_HINT = ("forward returns (outputs, Hs): outputs, of shape (num_steps, batch_size, num_hiddens), are the top "
              "layer's outputs (torch.stack them), and Hs is the list of each layer's final state.")
GENERIC_HINT = ("outputs = inputs; then for each layer i: outputs, Hs[i] = self.rnns[i](outputs, Hs[i]) and "
                "outputs = torch.stack(outputs, 0): each layer reads the outputs of the layer below and starts from "
                "its own state Hs[i] (None for zeros).")


def make_layers(num_inputs, num_hiddens, num_layers, seed):
    return [rnn_params(num_inputs if i == 0 else num_hiddens, num_hiddens, 100 * seed + 3 * i)
            for i in range(num_layers)]


def make_states(batch_size, num_hiddens, num_layers, seed):
    return [state(batch_size, num_hiddens, seed, k=1 + i) for i in range(num_layers)]


# -- the truth and the usual mistakes ---------------------------------------------------------------------------

def torch_stacked(layers, X, Hs=None):
    """nn.RNN with num_layers layers, in float64 on the CPU: (outputs (T, B, h), [final H of each layer])."""
    num_inputs, num_hiddens = layers[0]["W_xh"].shape
    m = nn.RNN(num_inputs, num_hiddens, num_layers=len(layers), dtype=F64)
    load_rnn(m, layers, [f"l{i}" for i in range(len(layers))])
    with torch.no_grad():
        out, H_n = m(X) if Hs is None else m(X, torch.stack(Hs))
    return out, list(H_n.unbind(0))


MISTAKES = {
    "inputs to every layer": "each layer reads the outputs of the layer below: pass outputs (not inputs) to "
                             "self.rnns[i], and set outputs = torch.stack(outputs, 0) after each layer.",
    "first state for all": "each layer starts from its own state: self.rnns[i](outputs, Hs[i]), not Hs[0].",
    "last state for all": "each layer starts from its own state: self.rnns[i](outputs, Hs[i]), not Hs[-1].",
    "first layer outputs": "return the outputs of the top layer (the last one), after the loop over layers.",
    "states reversed": "Hs[i] is the state of layer i, the bottom layer first: return the states in the layers' "
                       "order.",
    "shared layers": "each layer has its own parameters: build num_layers separate RNNScratch objects (a list "
                     "comprehension), not one object repeated.",
    "states ignored": "when Hs is given, start layer i from Hs[i] instead of zeros.",
}


def scratch_stacked(layers, X, Hs=None, mistake=""):
    """The book's stacked forward in float64, or one of MISTAKES: (outputs (T, B, h), [states])."""
    L = len(layers)
    starts = [None] * L if Hs is None or mistake == "states ignored" else list(Hs)
    if mistake == "first state for all" and Hs is not None:
        starts = [Hs[0]] * L
    if mistake == "last state for all" and Hs is not None:
        starts = [Hs[-1]] * L
    outputs, finals, first = X, [], None
    for i in range(L):
        # one layer object repeated: it holds the weights set last (layer 0 differs when num_inputs does)
        shared = mistake == "shared layers" and layers[i]["W_xh"].shape == layers[-1]["W_xh"].shape
        P = layers[-1] if shared else layers[i]
        if mistake == "inputs to every layer" and P["W_xh"].shape[0] != X.shape[-1]:
            return None
        outs, H = scratch_rnn(P, X if mistake == "inputs to every layer" else outputs, starts[i])
        outputs = torch.stack(outs, 0)
        first = outputs if first is None else first
        finals.append(H)
    if mistake == "first layer outputs":
        outputs = first
    if mistake == "states reversed":
        finals = finals[::-1]
    return outputs, finals


def diagnose(layers, X, Hs, outputs, states) -> str:
    def answer(mistake):
        def make():
            result = scratch_stacked(layers, X, Hs, mistake)
            return None if result is None else torch.cat([result[0], torch.stack(result[1])])
        return make

    got = torch.cat([outputs, torch.stack(states)])
    candidates = {"": answer(""), **{hint: answer(m) for m, hint in MISTAKES.items()}}
    return first_matching_hint(got, candidates, default=GENERIC_HINT)


# -- calling the student's model ----------------------------------------------------------------------------------

def new(student, num_inputs, num_hiddens, num_layers):
    what = f"StackedRNNScratch({num_inputs}, {num_hiddens}, {num_layers})"
    try:
        return student.new(num_inputs, num_hiddens, num_layers, seed=0), what
    except StudentError as e:
        as_mistake(e, what, "the constructor takes num_inputs, num_hiddens, num_layers and sigma=0.01, as in the "
                            "book." if e.type == "TypeError" else LAYERS_HINT)


def expect_layers(model, what, num_inputs, num_hiddens, num_layers):
    """The parameters are those of num_layers RNNScratch layers in self.rnns, with the book's shapes."""
    params = model.state()
    want = {}
    for i in range(num_layers):
        want[f"rnns.{i}.W_xh"] = (num_inputs if i == 0 else num_hiddens, num_hiddens)
        want[f"rnns.{i}.W_hh"] = (num_hiddens, num_hiddens)
        want[f"rnns.{i}.b_h"] = (num_hiddens,)
    missing = [k for k in want if k not in params]
    if missing:
        found = ", ".join(sorted(params)) or "none"
        raise Mistake(f"{what} has no parameter {missing[0]} (its parameters: {found}).", LAYERS_HINT)
    for name, shape in want.items():
        if tuple(params[name].shape) != shape:
            raise Mistake(f"{what}: {name} has shape {tuple(params[name].shape)}, expected {shape}.", LAYERS_HINT)
    extra = sorted(k for k in params if k not in want)
    if extra:
        raise Mistake(f"{what} has parameters beyond its {num_layers} layers: {', '.join(extra)}.", LAYERS_HINT)


def build(student, layers, dtype, device):
    num_inputs, num_hiddens = layers[0]["W_xh"].shape
    model, what = new(student, num_inputs, num_hiddens, len(layers))
    expect_layers(model, what, num_inputs, num_hiddens, len(layers))
    if dtype == F64:
        model.method("double")
    for i, P in enumerate(layers):
        for name in NAMES:
            model.set(f"rnns.{i}.{name}", P[name].to(dtype).to(device))
    return model


def describe(X, L, Hs, dtype):
    T, B, d = X.shape
    return (f"forward(inputs, {'Hs' if Hs is not None else 'None'}) of a {L}-layer StackedRNNScratch with inputs of "
            f"shape ({T}, {B}, {d}) (num_steps, batch_size, num_inputs), "
            f"{'given states Hs' if Hs is not None else 'Hs=None'}, {dtype_name(dtype)}")


def unpack(value, X, L, h, what):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise Mistake(f"{what} returned {type(value).__name__}{size}, expected a pair (outputs, Hs).", SHAPE_HINT)
    outputs, states = value
    if isinstance(outputs, (list, tuple)) and outputs and all(isinstance(o, torch.Tensor) for o in outputs):
        outputs = torch.stack(list(outputs))
    expect_shape(outputs, (X.shape[0], X.shape[1], h), f"{what}: outputs", SHAPE_HINT)
    if isinstance(states, torch.Tensor) and states.dim() == 3:
        states = list(states.unbind(0))
    if not isinstance(states, (list, tuple)) or len(states) != L:
        n = f"{len(states)} states" if isinstance(states, (list, tuple)) else f"a {type(states).__name__}"
        raise Mistake(f"{what} returned {n} as Hs, expected a list of {L} (one per layer).",
                      "return the list Hs of each layer's final state, not only the top layer's.")
    for i, H in enumerate(states):
        expect_shape(H, (X.shape[1], h), f"{what}: Hs[{i}]", "each layer's state has shape (batch_size, num_hiddens).")
    return outputs, list(states)


def check_values(layers, X, Hs, dtype, out, what):
    L, h = len(layers), layers[0]["W_xh"].shape[1]
    expect_not_used(out.seen, BANNED, what, BANNED_HINT)
    outputs, states = unpack(out.value, X, L, h, what)
    P64, X64, H64 = rounded(layers, dtype), rounded(X, dtype), rounded(Hs, dtype)
    want, finals = torch_stacked(P64, X64, H64)
    hint = lambda: diagnose(P64, X64, H64, outputs, states)  # noqa: E731 - computed only if a check fails
    expect_close(outputs, want.to(dtype).to(outputs.device), f"{what}: outputs (index [step, example, unit])", hint)
    for i, (H, eH) in enumerate(zip(states, finals)):
        expect_close(H, eH.to(dtype).to(H.device), f"{what}: Hs[{i}], the final state of layer {i}", hint)
    return outputs, states


def check_forward(student, device, num_steps, batch_size, num_inputs, num_hiddens, num_layers, seed,
                  dtype=torch.float32, given=True):
    layers = make_layers(num_inputs, num_hiddens, num_layers, seed)
    X = sequence(num_steps, batch_size, num_inputs, seed)
    Hs = make_states(batch_size, num_hiddens, num_layers, seed) if given else None
    what = describe(X, num_layers, Hs, dtype)
    model = build(student, layers, dtype, device)
    args = (sent(X, dtype, device),) if Hs is None else (sent(X, dtype, device), sent(Hs, dtype, device))
    out = call(model, args, what, error_hint, watch=BANNED)
    return check_values(layers, X, Hs, dtype, out, what)


def error_hint(e) -> str:
    if "shapes cannot be multiplied" in e.message or "size mismatch" in e.message:
        return ("layer 0 reads inputs of size num_inputs, every other layer the num_hiddens outputs of the layer "
                "below: feed each layer the stacked outputs of the previous one, not the inputs.")
    return ""


# -- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_layers_are_registered_with_the_books_shapes(student, device):
    for num_inputs, num_hiddens, num_layers in [(3, 5, 2), (4, 2, 3), (6, 6, 1)]:
        model, what = new(student, num_inputs, num_hiddens, num_layers)
        expect_layers(model, what, num_inputs, num_hiddens, num_layers)


@pytest.mark.points(2.5)
def test_two_layers_given_states(student, device):
    check_forward(student, device, num_steps=6, batch_size=4, num_inputs=3, num_hiddens=5, num_layers=2, seed=1,
                  dtype=F64)


@pytest.mark.points(1.5)
def test_default_states_are_zeros(student, device):
    check_forward(student, device, num_steps=5, batch_size=3, num_inputs=4, num_hiddens=4, num_layers=2, seed=2,
                  given=False)


@pytest.mark.points(1.5)
def test_one_and_three_layers(student, device):
    check_forward(student, device, num_steps=4, batch_size=3, num_inputs=2, num_hiddens=3, num_layers=1, seed=3)
    check_forward(student, device, num_steps=5, batch_size=2, num_inputs=3, num_hiddens=4, num_layers=3, seed=4,
                  dtype=F64)


@pytest.mark.points(0.5)
def test_batch_of_one(student, device):
    check_forward(student, device, num_steps=3, batch_size=1, num_inputs=2, num_hiddens=3, num_layers=2, seed=5)


@pytest.mark.points(2)
def test_gradients_through_layers_and_time(student, device):
    T, B, d, h, L = 5, 3, 3, 4, 2
    layers, X, Hs = make_layers(d, h, L, 6), sequence(T, B, d, 6), make_states(B, h, L, 6)
    what = describe(X, L, Hs, F64)
    model = build(student, layers, F64, device)
    out = call(model, (X.to(device), [H.to(device) for H in Hs]), what, error_hint, requires_grad=[0],
               watch=BANNED)
    check_values(layers, X, Hs, F64, out, what)
    outputs_value, states_value = out.value
    G_out = seeded(T, B, h, seed=6600, dtype=F64)
    G_H = [seeded(B, h, seed=6601 + i, dtype=F64) for i in range(L)]
    if isinstance(outputs_value, torch.Tensor):
        grads = [G_out]
    else:
        grads = list(G_out.unbind(0))
    grads += [torch.stack(G_H)] if isinstance(states_value, torch.Tensor) else G_H
    got = expect_backward(model, [g.to(device) for g in grads], what,
                          "keep the layers' outputs and states connected to the inputs (no .detach(), no "
                          "torch.tensor(...) of results).")
    leaves = [{n: p.clone().requires_grad_(True) for n, p in P.items()} for P in layers]
    Xl = X.clone().requires_grad_(True)
    outputs, finals = scratch_stacked(leaves, Xl, Hs)
    ((outputs * G_out).sum() + sum((H * G).sum() for H, G in zip(finals, G_H))).backward()
    call_grad = f"the gradient of a loss on the outputs and every layer's final state of {what}"
    expect_gradients(got, Xl.grad, {f"rnns.{i}.{name}": P[name].grad for i, P in enumerate(leaves) for name in NAMES},
                     call_grad, device, noun="",
                     inputs_hint="the gradient flows back through every layer and step: no .detach() between the "
                                 "layers.",
                     missing_hint="every layer's parameters take part in the forward (and are not detached).",
                     wrong_hint="the values are right but the gradient is not: something is detached between the "
                                "layers.")


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    """Checked on PyTorch's "meta" device (shapes, no values), which shows a tensor made on a fixed device on a
    CPU-only machine too."""
    check_forward(student, device, num_steps=3, batch_size=2, num_inputs=3, num_hiddens=4, num_layers=2, seed=7,
                  given=False)
    model, _ = new(student, 3, 4, 2)
    model.method("to", "meta")
    what = ("forward(inputs, None) of a 2-layer StackedRNNScratch with the model and inputs of shape (3, 2, 3) on "
            "a device other than the CPU (PyTorch's 'meta' device)")
    value = meta_call(model, (torch.empty(3, 2, 3, device="meta"),), what)
    outputs, states = value if isinstance(value, (tuple, list)) and len(value) == 2 else (value, [])
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0] if outputs else None
    states = [states] if isinstance(states, torch.Tensor) else states if isinstance(states, (list, tuple)) else []
    expect_meta([("outputs", outputs), *[(f"Hs[{i}]", H) for i, H in enumerate(states)]], what)
