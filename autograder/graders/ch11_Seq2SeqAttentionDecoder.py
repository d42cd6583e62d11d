"""Grader for ch11-Seq2SeqAttentionDecoder: `init_state` and `forward` of the RNN decoder with Bahdanau attention
(book 11.4), with the lesson's given __init__ and (while this exercise is graded) the instructor's
AdditiveAttention and masked_softmax.

The student's decoder gets the grader's weights through the Instance API (the LazyLinears of the attention and
of `dense` are sized first by one call on zeros, which does not depend on the student's forward). The truth is a
reference decoder written here with the same weights: the additive attention in float64, and each GRU layer run as
torch's own GRU cell (torch.gru_cell) with the weights of nn.GRU's layer mapped onto it (weight_ih_l{k},
weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}). The forward tests hand the decoder a state made by the truth of
init_state, so a bug in one method costs only its own tests.
"""
import math

import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape,
                               first_matching_hint, seeded, show)
from autograder.graders.common.attention import (attribute, lengths, lens_text, masked_softmax64, set_weight,
                                                 size_lazy)

F64 = torch.float64
INIT_HINT = ("keep the given __init__ (attention, embedding, rnn, dense): the tests set the weights of "
             "attention.W_q, attention.W_k, attention.w_v, embedding, rnn and dense by these names.")
INIT_STATE_HINT = ("init_state unpacks outputs, hidden_state = enc_outputs and returns (outputs.permute(1, 0, 2), "
                   "hidden_state, enc_valid_lens): the encoder's outputs are (num_steps, batch_size, num_hiddens), "
                   "the attention needs them batch first, (batch_size, num_steps, num_hiddens), as keys and values.")
GENERIC_HINT = ("for each decoding step t: query = hidden_state[-1].unsqueeze(1) (the last layer's state, shape "
                "(batch_size, 1, num_hiddens)); context = self.attention(query, enc_outputs, enc_outputs, "
                "enc_valid_lens); x = torch.cat((context, embedded x_t.unsqueeze(1)), dim=-1); out, hidden_state = "
                "self.rnn(x.permute(1, 0, 2), hidden_state); after the loop, self.dense on the concatenated outputs, "
                "permuted to (batch_size, num_steps, vocab_size).")
WEIGHTS_HINT = ("after each step append self.attention.attention_weights (shape (batch_size, 1, no. of encoder "
                "steps)) to self._attention_weights, a list made fresh at the start of forward: one entry per "
                "decoding step.")
STATE_HINT = ("return outputs, [enc_outputs, hidden_state, enc_valid_lens]: the encoder's outputs and valid lengths "
              "unchanged, and the GRU's hidden state after the last step (shape (num_layers, batch_size, "
              "num_hiddens)), which the next call continues from.")


# -- the grader's weights and the reference decoder -------------------------------------------------------------

def make_weights(vocab, embed, hidden, layers, device, seed):
    """Every parameter of the book's decoder, in float64, by its name in the student's module."""
    W, k = {}, seed * 100
    W["embedding.weight"] = seeded(vocab, embed, seed=k, dtype=F64, device=device)
    for layer in range(layers):
        width = embed + hidden if layer == 0 else hidden
        for j, (name, shape) in enumerate(((f"rnn.weight_ih_l{layer}", (3 * hidden, width)),
                                           (f"rnn.weight_hh_l{layer}", (3 * hidden, hidden)),
                                           (f"rnn.bias_ih_l{layer}", (3 * hidden,)),
                                           (f"rnn.bias_hh_l{layer}", (3 * hidden,)))):
            W[name] = seeded(*shape, seed=k + 10 * layer + j + 1, dtype=F64, device=device, scale=1 / math.sqrt(width))
    W["dense.weight"] = seeded(vocab, hidden, seed=k + 91, dtype=F64, device=device, scale=1 / math.sqrt(hidden))
    W["dense.bias"] = seeded(vocab, seed=k + 92, dtype=F64, device=device, scale=0.1)
    W["attention.W_q.weight"] = seeded(hidden, hidden, seed=k + 93, dtype=F64, device=device,
                                       scale=1.5 / math.sqrt(hidden))
    W["attention.W_k.weight"] = seeded(hidden, hidden, seed=k + 94, dtype=F64, device=device,
                                       scale=1.5 / math.sqrt(hidden))
    W["attention.w_v.weight"] = seeded(1, hidden, seed=k + 95, dtype=F64, device=device, scale=2.0)
    return W


def decode(X, state, W, layers, query_layer=-1, swap_cat=False, fixed_query=False, no_mask=False):
    """The reference decoder (float64). `state` = (enc_outputs (B, S, h), hidden (L, B, h), valid_lens). The
    keyword arguments model the usual mistakes. Returns outputs (B, T, V), the final hidden state and the
    attention weights of each step, (B, 1, S) each."""
    keys, hidden, valid_lens = state
    keys = keys.to(F64)
    H = [h for h in hidden.to(F64)]
    emb = W["embedding.weight"][X]                                     # (B, T, e)
    Wq, Wk, wv = W["attention.W_q.weight"], W["attention.W_k.weight"], W["attention.w_v.weight"]
    projected_keys = keys @ Wk.T                                       # (B, S, h)
    first_query = H[query_layer]
    outs, weights = [], []
    for t in range(X.shape[1]):
        q = (first_query if fixed_query else H[query_layer]) @ Wq.T    # (B, h)
        scores = (torch.tanh(q.unsqueeze(1) + projected_keys) @ wv.T).transpose(1, 2)   # (B, 1, S)
        a = masked_softmax64(scores, None if no_mask else valid_lens)
        context = (a @ keys).squeeze(1)                                # (B, h)
        x = torch.cat((emb[:, t], context) if swap_cat else (context, emb[:, t]), dim=-1)
        for layer in range(layers):
            H[layer] = torch.gru_cell(x, H[layer], W[f"rnn.weight_ih_l{layer}"], W[f"rnn.weight_hh_l{layer}"],
                                      W[f"rnn.bias_ih_l{layer}"], W[f"rnn.bias_hh_l{layer}"])
            x = H[layer]
        outs.append(x)
        weights.append(a)
    outputs = torch.stack(outs, 1) @ W["dense.weight"].T + W["dense.bias"]
    return outputs, torch.stack(H), weights


# -- one input -------------------------------------------------------------------------------------------------

class Case:
    def __init__(self, device, vocab=7, embed=5, hidden=6, layers=2, batch=3, src_steps=5, tgt_steps=4,
                 valid_lens=None, seed=0, dtype=F64):
        self.sizes = (vocab, embed, hidden, layers)
        self.layers, self.dtype, self.device = layers, dtype, device
        self.W = make_weights(vocab, embed, hidden, layers, device, seed)
        g = torch.Generator().manual_seed(seed)
        self.X = torch.randint(0, vocab, (batch, tgt_steps), generator=g).to(device)
        # what an encoder gives: outputs (num_steps, batch, h) and the final state of each layer (layers, batch, h)
        self.enc_outputs = torch.tanh(seeded(src_steps, batch, hidden, seed=seed + 1, device=device, scale=1.5)).to(dtype)
        self.enc_hidden = torch.tanh(seeded(layers, batch, hidden, seed=seed + 2, device=device, scale=1.5)).to(dtype)
        self.valid_lens = lengths(valid_lens, device)

    @property
    def state(self):
        """The truth of init_state: what forward receives."""
        return (self.enc_outputs.permute(1, 0, 2).contiguous(), self.enc_hidden, self.valid_lens)

    def expected(self, **mistake):
        return decode(self.X, self.state, self.W, self.layers, **mistake)

    def name(self):
        return "Seq2SeqAttentionDecoder(vocab_size={}, embed_size={}, num_hiddens={}, num_layers={})".format(
            *self.sizes)

    def call(self, what="forward"):
        B, T = self.X.shape
        S = self.enc_outputs.shape[0]
        dtype = "" if self.dtype == torch.float32 else f"{str(self.dtype)[6:]} "
        if what == "init_state":
            return (f"{self.name()}.init_state((outputs, hidden_state), enc_valid_lens) for {dtype}encoder outputs "
                    f"of shape {(S, B, self.sizes[2])}, hidden_state {(self.layers, B, self.sizes[2])}, "
                    f"enc_valid_lens = {lens_text(self.valid_lens)}")
        return (f"{self.name()}(X, state) for X of shape {(B, T)} (batch_size, num_steps), {dtype}encoder outputs "
                f"of {S} steps, enc_valid_lens = {lens_text(self.valid_lens)}")

    def decoder(self, student):
        """The student's decoder with the grader's weights (dtype of the case)."""
        obj = student.new(*self.sizes, 0, seed=0)
        h, call = self.sizes[2], self.name()
        for path in ("attention.W_q", "attention.W_k", "attention.w_v", "dense"):
            size_lazy(obj, path, h, self.device, call, INIT_HINT)
        if self.dtype == F64:
            obj.method("double")
        for name, value in self.W.items():
            set_weight(obj, name, value.to(self.dtype), call, INIT_HINT)
        return obj.eval()

    def forward(self, obj, **kw):
        try:
            return obj.run(self.X, self.state, **kw).value
        except StudentError as e:
            as_mistake(e, self.call(), error_hint(e))

    def tolerance(self):
        # float32 on a GPU: cuDNN may run the GRU with TF32 matrix products
        if self.dtype == torch.float32 and self.device.type == "cuda":
            return {"rtol": 3e-3, "atol": 3e-3}
        return {}


def error_hint(e: StudentError) -> str:
    text = e.message
    if "size" in text or "shape" in text or "dimension" in text or "match" in text:
        return ("check the shapes step by step: the embedded input is (num_steps, batch_size, embed_size) after "
                ".permute(1, 0, 2); the query hidden_state[-1].unsqueeze(1) is (batch_size, 1, num_hiddens); the "
                "context (batch_size, 1, num_hiddens) is concatenated with x.unsqueeze(1) on the last axis, and the "
                "GRU takes (1, batch_size, embed_size + num_hiddens). " + GENERIC_HINT)
    return GENERIC_HINT


def diagnose(case, got) -> str:
    B, T = case.X.shape
    V = case.sizes[0]
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (T, B, V) and T != B:
        return "the outputs are (num_steps, batch_size, vocab_size): permute them back with .permute(1, 0, 2)."
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (B, T, V):
        return f"the outputs have shape (batch_size, num_steps, vocab_size) = {(B, T, V)}. " + GENERIC_HINT
    return first_matching_hint(got, {
        "the query is the hidden state of the decoder's last layer, hidden_state[-1]; hidden_state[0] is the "
        "first layer's.": (lambda: case.expected(query_layer=0)[0]) if case.layers > 1 else None,
        "concatenate the context first, then the embedded input: torch.cat((context, x.unsqueeze(1)), dim=-1) "
        "(the GRU's input weights expect that order).": lambda: case.expected(swap_cat=True)[0],
        "the query must be recomputed at every step from the hidden state the GRU just returned; yours stays the "
        "initial state.": lambda: case.expected(fixed_query=True)[0],
        "the padded encoder steps were not masked: pass enc_valid_lens to self.attention.":
            None if case.valid_lens is None else (lambda: case.expected(no_mask=True)[0]),
    }, rtol=1e-4, atol=1e-6, default=GENERIC_HINT)


def unpack(case, got, call):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake(f"{call} returned {show(got) if isinstance(got, torch.Tensor) else type(got).__name__}; "
                      "expected two things, the outputs and the new state.", STATE_HINT)
    return got


def check_outputs(case, got, call):
    outputs, _ = unpack(case, got, call)
    expected = case.expected()[0]
    hint = lambda: diagnose(case, outputs)  # noqa: E731 - only if a check fails
    expect_shape(outputs, expected.shape, f"the outputs of {call}", hint)
    if outputs.dtype != case.dtype:
        raise Mistake(f"the outputs of {call} have dtype {outputs.dtype}, expected {case.dtype}.", GENERIC_HINT)
    expect_close(outputs, expected.to(case.dtype), f"the outputs of {call}", hint, **case.tolerance())


def run_forward(student, case):
    obj = case.decoder(student)
    got = case.forward(obj)
    check_outputs(case, got, case.call())
    return obj, got


# -- tests -------------------------------------------------------------------------------------------------------

@pytest.mark.points(1.5)
def test_init_state(student, device):
    for case in (Case(device, batch=3, src_steps=5, valid_lens=[5, 2, 3], seed=1),
                 Case(device, batch=2, src_steps=4, layers=1, valid_lens=None, seed=2)):
        obj = case.decoder(student)
        call = case.call("init_state")
        try:
            got = obj.bound("init_state").run((case.enc_outputs, case.enc_hidden), case.valid_lens).value
        except StudentError as e:
            as_mistake(e, call, INIT_STATE_HINT)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Mistake(f"{call} returned {show(got) if isinstance(got, torch.Tensor) else type(got).__name__}; "
                          "expected three things.", INIT_STATE_HINT)
        keys, hidden, vl = got
        expected = case.state
        if isinstance(keys, torch.Tensor) and keys.shape == case.enc_outputs.shape and keys.shape != expected[0].shape:
            raise Mistake(f"{call}: its first entry has shape {tuple(keys.shape)} (num_steps, batch_size, "
                          f"num_hiddens), expected {tuple(expected[0].shape)}.", INIT_STATE_HINT)
        expect_close(keys, expected[0], f"the first entry (the keys and values) of {call}", INIT_STATE_HINT)
        expect_close(hidden, expected[1], f"the second entry (the decoder's initial hidden state) of {call}",
                     INIT_STATE_HINT)
        if case.valid_lens is None:
            if vl is not None:
                raise Mistake(f"the third entry of {call} should be enc_valid_lens (None), got {show(vl)}.",
                              INIT_STATE_HINT)
        elif not isinstance(vl, torch.Tensor) or not torch.equal(vl.to(device), case.valid_lens):
            raise Mistake(f"the third entry of {call} should be enc_valid_lens = {case.valid_lens.tolist()}, got "
                          f"{show(vl)}.", INIT_STATE_HINT)


@pytest.mark.points(2.5)
def test_outputs_match_reference_decoder(student, device):
    run_forward(student, Case(device, batch=3, src_steps=5, tgt_steps=4, layers=2, seed=3))
    run_forward(student, Case(device, vocab=9, embed=4, hidden=5, batch=2, src_steps=3, tgt_steps=6, layers=2,
                              seed=4, dtype=torch.float32))


@pytest.mark.points(1.5)
def test_encoder_valid_lengths(student, device):
    run_forward(student, Case(device, batch=3, src_steps=6, tgt_steps=4, layers=2, valid_lens=[2, 6, 4], seed=5))


@pytest.mark.points(1)
def test_returned_state(student, device):
    case = Case(device, batch=2, src_steps=5, tgt_steps=3, layers=2, valid_lens=[3, 5], seed=6)
    _, got = run_forward(student, case)
    state = got[1]
    call = case.call()
    if not isinstance(state, (tuple, list)) or len(state) != 3:
        raise Mistake(f"the state that {call} returns should be [enc_outputs, hidden_state, enc_valid_lens], got "
                      f"{show(state) if isinstance(state, torch.Tensor) else type(state).__name__}.", STATE_HINT)
    keys, hidden, vl = state
    expect_close(keys, case.state[0], f"the first entry (enc_outputs) of the state {call} returns", STATE_HINT)
    final = case.expected()[1]
    expected_shape = tuple(final.shape)
    if isinstance(hidden, torch.Tensor) and hidden.shape == final.shape and torch.allclose(
            hidden.to(F64), case.enc_hidden.to(F64)):
        raise Mistake(f"the hidden state that {call} returns is the one it started from.",
                      "return the hidden state of the last step (what self.rnn returned), not the initial one: "
                      + STATE_HINT)
    expect_shape(hidden, expected_shape, f"the second entry (hidden_state) of the state {call} returns", STATE_HINT)
    expect_close(hidden, final, f"the second entry (hidden_state) of the state {call} returns", STATE_HINT)
    if not isinstance(vl, torch.Tensor) or not torch.equal(vl.to(device), case.valid_lens):
        raise Mistake(f"the third entry of the state {call} returns should be enc_valid_lens = "
                      f"{case.valid_lens.tolist()}, got {show(vl)}.", STATE_HINT)


@pytest.mark.points(1.5)
def test_attention_weights_per_step(student, device):
    case = Case(device, batch=3, src_steps=5, tgt_steps=4, layers=2, valid_lens=[5, 2, 3], seed=7)
    obj, _ = run_forward(student, case)
    call = case.call()
    got = attribute(obj, "attention_weights", call, WEIGHTS_HINT)
    expected = case.expected()[2]
    if not isinstance(got, (list, tuple)):
        raise Mistake(f"after {call}, attention_weights is {show(got) if isinstance(got, torch.Tensor) else type(got).__name__}"
                      f"; expected a list of {len(expected)} tensors, one per decoding step.", WEIGHTS_HINT)
    if len(got) != len(expected):
        raise Mistake(f"after {call} ({len(expected)} decoding steps), attention_weights has {len(got)} entries, expected "
                      f"{len(expected)}.", WEIGHTS_HINT)
    for t, (g, e) in enumerate(zip(got, expected)):
        what = f"attention_weights[{t}] after {call}"
        expect_shape(g, e.shape, what, WEIGHTS_HINT)
        expect_close(g, e, what, WEIGHTS_HINT, check_dtype=False)


@pytest.mark.points(1)
def test_gradients_match_autograd(student, device):
    case = Case(device, batch=2, src_steps=4, tgt_steps=3, layers=2, valid_lens=[4, 2], seed=8)
    obj = case.decoder(student)
    got = case.forward(obj, requires_grad=[])
    check_outputs(case, got, case.call())
    G = seeded(*got[0].shape, seed=9, dtype=F64, device=device)
    # one output gradient for the outputs, none for the state's tensors
    n_state = sum(isinstance(t, torch.Tensor) for t in got[1])
    hint = ("build the outputs from the inputs and the layer's parameters with torch operations; do not detach the "
            "hidden state or the context between steps (no .detach(), .data or torch.tensor(...)).")
    grads = expect_backward(obj, [G] + [None] * n_state, case.call(), hint)
    W = {n: w.clone().requires_grad_(True) for n, w in case.W.items()}
    decode(case.X, case.state, W, case.layers)[0].backward(G)
    for name, w in W.items():
        g = grads.params.get(name)
        if g is None:
            raise Mistake(f"no gradient of {case.call()} reached {name}.", hint)
        expect_close(g, w.grad, f"the gradient of {case.call()} with respect to {name}", hint)


@pytest.mark.points(1)
def test_one_layer_one_example_one_step(student, device):
    run_forward(student, Case(device, batch=1, src_steps=3, tgt_steps=1, layers=1, valid_lens=[2], seed=10))
    run_forward(student, Case(device, batch=2, src_steps=4, tgt_steps=2, layers=3, valid_lens=[1, 4], seed=11))
