"""Grader for ch10-Seq2SeqEncoder: the RNN encoder of sequence-to-sequence learning (book 10.7.2).

The exercise is the encoder's wiring, with PyTorch's own layers (nn.Embedding and nn.GRU are allowed): token
indices come in batch-first, (batch_size, num_steps); the encoder transposes them to time-major, embeds them
(num_steps, batch_size, embed_size), and runs a `num_layers`-layer GRU (with `dropout` between layers) from the zero
state. It returns (outputs, state): the top layer's hidden state at every step, (num_steps, batch_size,
num_hiddens), and every layer's final state, (num_layers, batch_size, num_hiddens). forward takes `*args` (the
encoder-decoder passes the source's valid lengths) and ignores them.

The truth is a reference encoder, nn.Embedding + nn.GRU in float64 on the CPU, loaded with the same weights as the
student's (set through its parameters, found by their names: `embedding.weight` and the GRU's `weight_ih_l0`, ...,
as `self.rnn = nn.GRU(...)` names them; a wrapper module around the GRU is accepted). The student's module runs in
float64 too, so that cuDNN's TF32 on a GPU cannot blur the comparison. Initialisation is not graded.
"""
import pytest
import torch
from torch import nn

from autograder.checks import Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape, seeded

F64 = torch.float64
STRUCTURE_HINT = ("in __init__: self.embedding = nn.Embedding(vocab_size, embed_size) and self.rnn = "
                  "nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout), as in the book.")
SHAPE_HINT = ("forward returns (outputs, state): outputs of shape (num_steps, batch_size, num_hiddens), the top "
              "layer's state at every step, time first as nn.GRU returns them; state of shape (num_layers, "
              "batch_size, num_hiddens).")
TRANSPOSE_HINT = ("X is batch-first, (batch_size, num_steps): transpose it to time-major, X.t() (or X.T, "
                  "X.permute(1, 0)), before the embedding. A reshape to (num_steps, batch_size) keeps the numbers in "
                  "memory order and mixes up the sequences.")
POSITIONAL_DROPOUT_HINT = ("pass dropout by name, nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout): "
                           "nn.GRU's fourth positional argument is bias, not dropout.")
GRADIENT_HINT = "keep the outputs connected to the embedding and the GRU (no .detach(), no torch.tensor(...))."


def gru_names(num_layers):
    return [f"{kind}_{part}_l{l}" for l in range(num_layers) for kind in ("weight", "bias") for part in ("ih", "hh")]


def make_weights(vocab_size, embed_size, num_hiddens, num_layers, seed):
    """Float64 weights on the CPU: the embedding, then each GRU layer's; scaled so that no gate saturates."""
    W = {"embedding.weight": seeded(vocab_size, embed_size, seed=100 * seed, dtype=F64)}
    for i, name in enumerate(gru_names(num_layers)):
        layer = int(name.rsplit("l", 1)[1])
        fan_in = num_hiddens if "hh" in name or layer > 0 else embed_size
        shape = (3 * num_hiddens, fan_in) if name.startswith("weight") else (3 * num_hiddens,)
        W[name] = seeded(*shape, seed=100 * seed + 1 + i, dtype=F64, scale=1.2 / fan_in ** 0.5)
    return W


def make_tokens(batch_size, num_steps, vocab_size, seed, dtype=torch.int64):
    g = torch.Generator().manual_seed(5000 + seed)
    return torch.randint(0, vocab_size, (batch_size, num_steps), generator=g).to(dtype)


def reference(W, X, num_layers, mistake=""):
    """nn.Embedding + nn.GRU in float64 on the CPU with weights W: (outputs, state). `mistake="reshape"` feeds the
    tokens reshaped instead of transposed (to name that mistake)."""
    vocab_size, embed_size = W["embedding.weight"].shape
    num_hiddens = W["weight_hh_l0"].shape[1]
    emb = nn.Embedding(vocab_size, embed_size, dtype=F64)
    gru = nn.GRU(embed_size, num_hiddens, num_layers, dtype=F64)
    with torch.no_grad():
        emb.weight.copy_(W["embedding.weight"])
        for name in gru_names(num_layers):
            getattr(gru, name).copy_(W[name])
    tokens = X.reshape(X.shape[1], X.shape[0]) if mistake == "reshape" else X.t()
    return gru(emb(tokens.long()))


# -- the student's encoder ------------------------------------------------------------------------------------

def new(student, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0):
    what = f"Seq2SeqEncoder({vocab_size}, {embed_size}, {num_hiddens}, {num_layers}, dropout={dropout})"
    try:
        return student.new(vocab_size, embed_size, num_hiddens, num_layers, dropout, seed=0), what
    except StudentError as e:
        if "bias" in e.message:
            as_mistake(e, what, POSITIONAL_DROPOUT_HINT)
        as_mistake(e, what, "the constructor takes vocab_size, embed_size, num_hiddens, num_layers and dropout=0, "
                            "as in the book." if e.type == "TypeError" else STRUCTURE_HINT)


def locate(params, W, what):
    """The student's parameter name for each of W's: the same name, or one ending in '.' + it (a wrapper)."""
    names = {}
    for name, value in W.items():
        found = [k for k in params if k == name or k.endswith("." + name)]
        if name == "embedding.weight" and not found:
            found = [k for k in params if k.endswith("weight") and tuple(params[k].shape) == tuple(value.shape)
                     and "_l" not in k.rsplit(".", 1)[-1]]
        if len(found) != 1:
            have = ", ".join(f"{k} {tuple(v.shape)}" for k, v in params.items()) or "none"
            hint = STRUCTURE_HINT + " A GRU with num_layers layers has weight_ih_l0 to weight_ih_l{num_layers - 1}."
            if name.startswith("bias") and not any("bias" in k for k in params):
                hint = "the GRU has no biases: " + POSITIONAL_DROPOUT_HINT
            raise Mistake(f"{what}: no parameter {name} of shape {tuple(value.shape)} (its parameters: {have}).",
                          hint)
        if tuple(params[found[0]].shape) != tuple(value.shape):
            raise Mistake(f"{what}: {found[0]} has shape {tuple(params[found[0]].shape)}, expected "
                          f"{tuple(value.shape)}.", STRUCTURE_HINT)
        names[name] = found[0]
    return names


def build(student, W, num_layers, device, dropout=0.0):
    vocab_size, embed_size = W["embedding.weight"].shape
    num_hiddens = W["weight_hh_l0"].shape[1]
    encoder, what = new(student, vocab_size, embed_size, num_hiddens, num_layers, dropout)
    names = locate(encoder.state(), W, what)
    encoder.method("double")
    for name, key in names.items():
        encoder.set(key, W[name].to(device))
    return encoder, names


def describe(X, extra=False):
    B, T = X.shape
    dtype = "" if X.dtype == torch.int64 else f" ({str(X.dtype).replace('torch.', '')})"
    return (f"forward(X{', valid_len' if extra else ''}) with X of shape ({B}, {T}) (batch_size, num_steps) of token "
            f"indices{dtype}")


def unpack(value, X, num_hiddens, num_layers, what):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise Mistake(f"{what} returned {type(value).__name__}{size}, expected a pair (outputs, state).", SHAPE_HINT)
    outputs, state = value
    B, T = X.shape
    if isinstance(outputs, torch.Tensor) and tuple(outputs.shape) == (B, T, num_hiddens) and B != T:
        raise Mistake(f"{what} returned outputs of shape {tuple(outputs.shape)}, batch first; expected "
                      f"({T}, {B}, {num_hiddens}), time first.", TRANSPOSE_HINT)
    expect_shape(outputs, (T, B, num_hiddens), f"{what}: outputs", SHAPE_HINT)
    if isinstance(state, torch.Tensor) and state.dim() == 3 and state.shape[0] != num_layers:
        raise Mistake(f"{what} returned a state of shape {tuple(state.shape)}, expected ({num_layers}, {B}, "
                      f"{num_hiddens}): one final state per layer.",
                      "give the GRU num_layers layers: nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout).")
    if isinstance(state, torch.Tensor) and tuple(state.shape) == (B, num_hiddens):
        raise Mistake(f"{what} returned a state of shape {tuple(state.shape)}, expected ({num_layers}, {B}, "
                      f"{num_hiddens}): every layer's final state.", "return the GRU's state as it is, not state[-1].")
    expect_shape(state, (num_layers, B, num_hiddens), f"{what}: state", SHAPE_HINT)
    return outputs, state


def forward_error_hint(e, extra=False) -> str:
    if extra and e.type == "TypeError":
        return ("forward(self, X, *args): the encoder-decoder calls the encoder with the source's valid lengths too, "
                "which this encoder does not use.")
    if "input_size" in e.message or "index out of range" in e.message:
        return ("the embedding has vocab_size rows of embed_size numbers, and the GRU reads those: "
                "nn.Embedding(vocab_size, embed_size), then nn.GRU(embed_size, num_hiddens, ...).")
    if "size" in e.message or "shape" in e.message:
        return TRANSPOSE_HINT
    return ""


def check(student, device, batch_size, num_steps, vocab_size, embed_size, num_hiddens, num_layers, seed,
          token_dtype=torch.int64, extra=False, requires_grad=False):
    W = make_weights(vocab_size, embed_size, num_hiddens, num_layers, seed)
    X = make_tokens(batch_size, num_steps, vocab_size, seed, token_dtype)
    encoder, names = build(student, W, num_layers, device)
    what = describe(X, extra) + f" of Seq2SeqEncoder({vocab_size}, {embed_size}, {num_hiddens}, {num_layers})"
    args = (X.to(device), torch.full((batch_size,), num_steps, device=device)) if extra else (X.to(device),)
    try:
        out = encoder.run(*args)
    except StudentError as e:
        as_mistake(e, what, forward_error_hint(e, extra))
    outputs, state = unpack(out.value, X, num_hiddens, num_layers, what)
    want, want_state = reference(W, X, num_layers)

    def hint():
        wrong, _ = reference(W, X, num_layers, "reshape")
        if torch.allclose(outputs.double().cpu(), wrong.detach(), atol=1e-6):
            return TRANSPOSE_HINT
        return ("embed the transposed tokens and run them through the GRU from its zero state: "
                "self.rnn(self.embedding(X.t().type(torch.int64))).")

    expect_close(outputs, want.detach().to(outputs.device), f"{what}: outputs (index [step, example, unit])", hint)
    expect_close(state, want_state.detach().to(state.device), f"{what}: state (index [layer, example, unit])", hint)
    return encoder, names, W, X, (want, want_state), out


# -- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.points(1.5)
def test_shapes_of_the_books_example(student, device):
    """The book's: vocab_size 10, embed_size 8, 16 hidden units, 2 layers, a batch of 4 sequences of 9 zeros."""
    encoder, what = new(student, 10, 8, 16, 2)
    X = torch.zeros((4, 9), dtype=torch.int64, device=device)
    call = f"{what}: {describe(X)}, all zeros"
    try:
        value = encoder.run(X).value
    except StudentError as e:
        as_mistake(e, call, forward_error_hint(e))
    unpack(value, X, 16, 2, call)


@pytest.mark.points(2.5)
def test_two_layers(student, device):
    check(student, device, batch_size=4, num_steps=7, vocab_size=12, embed_size=5, num_hiddens=6, num_layers=2,
          seed=1)


@pytest.mark.points(1.5)
def test_one_layer_batch_of_one_and_square_input(student, device):
    check(student, device, batch_size=1, num_steps=5, vocab_size=9, embed_size=4, num_hiddens=3, num_layers=1, seed=2)
    check(student, device, batch_size=5, num_steps=5, vocab_size=9, embed_size=4, num_hiddens=3, num_layers=3,
          seed=3, token_dtype=torch.int32)   # batch_size == num_steps: shapes cannot reveal a missing transpose


@pytest.mark.points(1)
def test_extra_arguments_are_accepted(student, device):
    check(student, device, batch_size=3, num_steps=4, vocab_size=8, embed_size=4, num_hiddens=5, num_layers=2,
          seed=4, extra=True)


@pytest.mark.points(1.5)
def test_gradients_reach_the_embedding_and_the_gru(student, device):
    encoder, names, W, X, (want, want_state), out = check(student, device, batch_size=3, num_steps=4, vocab_size=8,
                                                          embed_size=4, num_hiddens=5, num_layers=2, seed=5)
    G_out, G_state = seeded(*want.shape, seed=5500, dtype=F64), seeded(*want_state.shape, seed=5501, dtype=F64)
    what = describe(X) + " (a loss on the outputs and the state)"
    got = expect_backward(encoder, [G_out.to(device), G_state.to(device)], what, GRADIENT_HINT)
    # the reference's gradients: the same computation with the weights as leaves
    embed_size = W["embedding.weight"].shape[1]
    leaves = {k: v.clone().requires_grad_(True) for k, v in W.items()}
    emb = torch.nn.functional.embedding(X.t().long(), leaves["embedding.weight"])
    gru = nn.GRU(embed_size, W["weight_hh_l0"].shape[1], 2, dtype=F64)
    params = {n: leaves[n] for n in gru_names(2)}
    outputs, state = torch.func.functional_call(gru, params, (emb,))
    ((outputs * G_out).sum() + (state * G_state).sum()).backward()
    for name, key in names.items():
        g = got.params.get(key)
        if g is None:
            raise Mistake(f"the gradient of {what}: no gradient reached {key}.", GRADIENT_HINT)
        expect_close(g, leaves[name].grad.to(device), f"the gradient of {what} with respect to {key}", GRADIENT_HINT)


@pytest.mark.points(1)
def test_dropout_is_passed_to_the_gru(student, device):
    """With dropout > 0 and two layers, training mode drops units between the layers (the outputs change) and
    evaluation mode does not (the outputs are the reference's)."""
    W = make_weights(10, 6, 8, 2, 6)
    X = make_tokens(4, 6, 10, 6)
    encoder, _ = build(student, W, 2, device, dropout=0.5)
    what = describe(X) + " of Seq2SeqEncoder(10, 6, 8, 2, dropout=0.5)"
    encoder.eval()
    outputs, _ = unpack(encoder.run(X.to(device)).value, X, 8, 2, what + " in evaluation mode")
    want, _ = reference(W, X, 2)
    expect_close(outputs, want.detach().to(outputs.device), what + " in evaluation mode: outputs",
                 "after .eval(), dropout does nothing: the outputs are the GRU's.")
    encoder.train()
    trained, _ = unpack(encoder.run(X.to(device), seed=0).value, X, 8, 2, what + " in training mode")
    if torch.allclose(trained, outputs):
        raise Mistake(f"{what} in training mode gave the same outputs as in evaluation mode: nothing was dropped "
                      "between the layers.", "pass dropout to the GRU: nn.GRU(embed_size, num_hiddens, num_layers, "
                                             "dropout=dropout).")


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    """Checked on PyTorch's "meta" device (shapes, no values), which shows a tensor made on a fixed device (an
    initial state made with torch.zeros(...) alone, say) on a CPU-only machine too."""
    check(student, device, batch_size=2, num_steps=3, vocab_size=6, embed_size=3, num_hiddens=4, num_layers=2,
          seed=7)
    encoder, what = new(student, 6, 3, 4, 2)
    encoder.method("to", "meta")
    call = f"{what} and X of shape (2, 3) on a device other than the CPU (PyTorch's 'meta' device)"
    try:
        value = encoder.run(torch.empty(2, 3, dtype=torch.int64, device="meta")).value
    except StudentError as e:
        as_mistake(e, call, "make every new tensor on the device of X (device=X.device); the GRU's own zero "
                            "state already is: self.rnn(embs) needs no initial state.")
    for name, t in zip(("outputs", "state"), value if isinstance(value, (tuple, list)) else [value]):
        if isinstance(t, torch.Tensor) and t.device.type != "meta":
            raise Mistake(f"{call}: {name} came back on {getattr(t, 'sent_from', t.device)}.",
                          "make every new tensor on the device of X (device=X.device).")
