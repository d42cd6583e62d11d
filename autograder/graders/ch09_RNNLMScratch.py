"""Grader for ch09-RNNLMScratch: the language model's `one_hot` (indices (batch, steps) -> float32 one-hot vectors
(steps, batch, vocab)) and `output_layer` (the list of hidden states -> logits (batch, steps, vocab)) (book 9.5.2).

A model cannot cross into the grading sandbox, so the grader builds it there with the lesson's given `CharLM(text,
num_hiddens)` (a `CharVocab` of the text and `RNNLMScratch(RNNScratch(V, h), V)`), sets its weights by name and calls
`model.one_hot`, `model.output_layer` and the model itself. Truths: F.one_hot, and the book's output layer and whole
model in float64, gradients by autograd.
"""
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_on_input_device, expect_shape,
                               first_matching_hint, seeded)
from autograder.graders.common.sequences import LM_PARAMS, char_lm, kind, lm_logits, lm_weights, read_tensor

TEXT = "abcdefg"   # a vocabulary of 7 characters
V, H = 7, 5
ONE_HOT_RULE = ("one_hot(X) for X of shape (batch_size, num_steps) is F.one_hot(X.T, self.vocab_size) as float32: "
                "shape (num_steps, batch_size, vocab_size), entry [t, i, k] = 1 where X[i, t] == k.")
OUTPUT_RULE = ("output_layer(rnn_outputs) applies H @ self.W_hq + self.b_q to each step's H and stacks the results "
               "along dimension 1: torch.stack(outputs, 1), shape (batch_size, num_steps, vocab_size).")
DEVICE_HINT = ("make every new tensor on the device of X: torch.arange(self.vocab_size, device=X.device), or "
               "F.one_hot, which follows X. torch.eye(V)[X.T] builds eye on the CPU.")


def indices(batch_size, num_steps, seed, high=V, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, (batch_size, num_steps), generator=g).to(device)


def one_hot_hint(X, got):
    if not isinstance(got, torch.Tensor):
        return ONE_HOT_RULE
    x = X.cpu()
    B, T = x.shape
    if tuple(got.shape) == (B, T, V) and B != T:
        return "transpose first: the RNN reads time step first, so one_hot(X) is (num_steps, batch_size, vocab_size): X.T."
    if got.dim() == 3 and tuple(got.shape[:2]) == (T, B) and got.shape[2] != V:
        return (f"the last dimension must be the vocabulary size {V} (self.vocab_size): pass num_classes, "
                "F.one_hot(X.T, self.vocab_size); without it F.one_hot uses the largest index + 1.")
    return first_matching_hint(got, {
        "X.reshape(num_steps, batch_size) is not a transpose: it keeps the order of the entries and regroups them; "
        "use X.T.": lambda: F.one_hot(x.reshape(T, B), V).double(),
    }, default=ONE_HOT_RULE)


def check_one_hot(lm, X, what):
    try:
        got = lm.bound("model.one_hot").run(X).value
    except StudentError as e:
        as_mistake(e, what, DEVICE_HINT if "device" in e.message.lower() else "")
    want = F.one_hot(X.T.cpu(), V).float().to(X.device)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(want.shape):
        raise Mistake(f"{what} returned {kind(got)}, expected shape {tuple(want.shape)} (num_steps, batch_size, "
                      "vocab_size).", one_hot_hint(X, got))
    expect_close(got, want, what, lambda: one_hot_hint(X, got), check_dtype=False)
    return got


@pytest.mark.points(2.5)
def test_one_hot_values_and_shape(student, sibling, device):
    lm = char_lm(sibling, student, TEXT, H, device=device)
    for B, T, seed in [(3, 4, 1), (4, 2, 2), (2, 6, 3)]:
        X = indices(B, T, seed, device=device)
        check_one_hot(lm, X, f"model.one_hot(X) for X of shape ({B}, {T}) (batch_size, num_steps), vocab_size {V}")
    X = indices(3, 5, 4, high=V - 2, device=device)   # the largest indices of the vocabulary do not occur
    check_one_hot(lm, X, f"model.one_hot(X) for X of shape (3, 5) whose indices are all below {V - 2}, vocab_size {V}")


@pytest.mark.points(1)
def test_one_hot_is_float32(student, sibling, device):
    lm = char_lm(sibling, student, TEXT, H, device=device)
    X = indices(2, 3, 5, device=device)
    got = check_one_hot(lm, X, "model.one_hot(X) for X of shape (2, 3)")
    if got.dtype != torch.float32:
        raise Mistake(f"model.one_hot(X) returned dtype {got.dtype}, expected torch.float32.",
                      "F.one_hot gives int64 indices-like values; the RNN multiplies them by W_xh, so convert: "
                      ".to(torch.float32) (or .float()).")


@pytest.mark.points(1)
def test_one_hot_on_the_inputs_device(student, sibling, device):
    lm = char_lm(sibling, student, TEXT, H, device=device)
    check_one_hot(lm, indices(2, 3, 6, device=device), "model.one_hot(X) for X of shape (2, 3)")
    meta = char_lm(sibling, student, TEXT, H, device="meta")
    what = "model.one_hot(X) for X of shape (2, 3) on a device other than the CPU (PyTorch's 'meta' device)"
    try:
        got = meta.bound("model.one_hot").run(torch.empty(2, 3, dtype=torch.long, device="meta")).value
    except StudentError as e:
        got = e
    expect_on_input_device(got, what, DEVICE_HINT, shape=(3, 2, V))


def hidden_states(T, B, seed, device):
    return [seeded(B, H, seed=seed + t, device=device) for t in range(T)]


def output_hint(Hs, W, b, got):
    if not isinstance(got, torch.Tensor):
        return OUTPUT_RULE
    T, B = len(Hs), Hs[0].shape[0]
    if tuple(got.shape) == (T, B, V) and T != B:
        return "stack the steps along dimension 1 (torch.stack(outputs, 1)): the logits are batch first, like X and Y."
    if tuple(got.shape) in ((B, T * V), (T * B, V)):
        return "torch.cat joins the steps into one dimension; torch.stack(outputs, 1) adds the num_steps dimension."
    if tuple(got.shape) == (B, 1, V) and T != 1:
        return ("every step's H gives logits: apply the layer to each of the num_steps hidden states in rnn_outputs, "
                "not only to the last one.")
    Hd = [h.double().cpu() for h in Hs]
    return first_matching_hint(got, {
        "add the bias b_q to every step's logits.": lambda: torch.stack([h @ W for h in Hd], 1),
        "reshape(batch_size, num_steps, vocab_size) of the step-first stack is not a transpose: it regroups the "
        "entries in their order; stack along dimension 1 (torch.stack(outputs, 1)) or use .transpose(0, 1).":
            lambda: torch.stack([h @ W + b for h in Hd]).reshape(B, T, V),
    }, default=OUTPUT_RULE)


def check_output_layer(student, sibling, device, T, B, seed):
    P = lm_weights(V, H, seed)
    lm = char_lm(sibling, student, TEXT, H, device=device, weights=P)
    Hs = hidden_states(T, B, seed, device)
    what = (f"model.output_layer(rnn_outputs) for a list of {T} hidden states of shape ({B}, {H}) (batch_size, "
            f"num_hiddens), vocab_size {V}")
    try:
        got = lm.bound("model.output_layer").run(Hs).value
    except StudentError as e:
        as_mistake(e, what, OUTPUT_RULE)
    W, b = P["W_hq"].float().double(), P["b_q"].float().double()
    want = torch.stack([h.double().cpu() @ W + b for h in Hs], 1)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(want.shape):
        raise Mistake(f"{what} returned {kind(got)}, expected shape {tuple(want.shape)} (batch_size, num_steps, "
                      "vocab_size).", output_hint(Hs, W, b, got))
    expect_close(got, want.float().to(got.device), what, lambda: output_hint(Hs, W, b, got))


@pytest.mark.points(2.5)
def test_output_layer_values(student, sibling, device):
    check_output_layer(student, sibling, device, T=4, B=3, seed=10)
    check_output_layer(student, sibling, device, T=2, B=5, seed=11)


@pytest.mark.points(1)
def test_batch_of_one_and_one_step(student, sibling, device):
    lm = char_lm(sibling, student, TEXT, H, device=device)
    check_one_hot(lm, indices(1, 1, 7, device=device), "model.one_hot(X) for X of shape (1, 1)")
    check_one_hot(lm, indices(1, 5, 8, device=device), "model.one_hot(X) for X of shape (1, 5)")
    check_output_layer(student, sibling, device, T=1, B=1, seed=12)


@pytest.mark.points(2)
def test_whole_model_and_its_gradients(student, sibling, device):
    P = lm_weights(V, H, 13)
    lm = char_lm(sibling, student, TEXT, H, device=device, weights=P)
    X = indices(3, 4, 14, device=device)
    what = "model(X), one_hot then the RNN then output_layer, for X of shape (3, 4)"
    P32 = {k: v.float().double() for k, v in P.items()}
    want = lm_logits(P32, X)
    try:
        got = lm.bound("model").run(X).value
    except StudentError as e:
        as_mistake(e, what)
    expect_shape(got, want.shape, what, OUTPUT_RULE)
    expect_close(got, want.float().to(got.device), what, "check one_hot and output_layer with the tests above.")
    G = seeded(*want.shape, seed=15, device=device)
    try:
        lm.backward([G])
    except StudentError as e:
        as_mistake(e, f"backpropagating through {what}",
                   "one_hot and output_layer must use differentiable torch operations on the hidden states and "
                   "on self.W_hq, self.b_q (no .detach(), .data or torch.tensor(...) of results).")
    leaves = {k: v.clone().requires_grad_(True) for k, v in P32.items()}
    (lm_logits(leaves, X) * G.double().cpu()).sum().backward()
    for name in LM_PARAMS:
        grad = read_tensor(lm, f"model.{name}.grad", f"the gradient of the model's {name} after backward",
                           f"no gradient reached {name}: output_layer must use self.W_hq and self.b_q, and pass the "
                           "gradient on to the hidden states (no .detach()).")
        expect_close(grad, leaves[name].grad.float().to(grad.device),
                     f"the gradient of {name} after backpropagating through {what}",
                     "the logits are right but a gradient is not: something is detached or modified in place.")
