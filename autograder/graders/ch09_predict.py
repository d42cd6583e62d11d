"""Grader for ch09-predict: `predict(self, prefix, num_preds, vocab, device=None)` warms the model up on the prefix,
then generates num_preds characters greedily (book 9.5.5).

The model is the lesson's `CharLM(text, num_hiddens)` (its `predict(prefix, num_preds)` calls the student's function
with the model, the vocabulary and the device), with weights the grader chooses: a model built to write the alphabet
(each character is followed by the next letter, whatever came before), and random models whose next character depends
on the whole prefix through the hidden state. The expected string is the book's greedy decoding of the same model in
float64; the random models are picked so that every choice wins by a clear margin (float32 rounding cannot flip it).
"""
import functools

import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake
from autograder.graders.common.sequences import char_lm, kind, lm_weights

TEXT = "abcdefgh"
CHARS = sorted(set(TEXT))
V = len(CHARS)
RULE = ("start from state None and feed prefix[0]; during the warm-up (the first len(prefix) - 1 steps) append the "
        "prefix's next character; then, num_preds times, append the argmax of the logits and feed it back in. Pass "
        "the state each step returns into the next step. Return the prefix and the new characters as one string.")


def successor_weights(num_hiddens=V):
    """Hidden unit i lights up for character i (tanh(5) ~ 1), and gives character i + 1 the largest logit."""
    eye = torch.eye(V, dtype=torch.float64)
    return {"rnn.W_xh": 5 * eye, "rnn.W_hh": torch.zeros(V, V, dtype=torch.float64),
            "rnn.b_h": torch.zeros(V, dtype=torch.float64), "W_hq": 10 * eye.roll(1, dims=1),
            "b_q": torch.zeros(V, dtype=torch.float64)}


def greedy(P, prefix, num_preds, mistake=""):
    """The book's predict in float64 (or one of the usual mistakes); returns (string, smallest top-2 margin)."""
    P = {k: v.float().double() for k, v in P.items()}   # the numbers the student's float32 model holds
    idx = {c: i for i, c in enumerate(CHARS)}
    h = P["rnn.W_hh"].shape[0]
    H = torch.zeros(1, h, dtype=torch.float64)
    outputs, margin = [idx[prefix[0]]], float("inf")
    warm = len(prefix) - 1
    steps = len(prefix) + num_preds - 1 + (1 if mistake == "one too many" else 0)
    if mistake == "no warm-up":   # only the last character of the prefix is fed, from a zero state
        outputs, warm, steps = [idx[prefix[-1]]], 0, num_preds
    for i in range(steps):
        x = torch.nn.functional.one_hot(torch.tensor([outputs[-1]]), V).double()
        if mistake == "state reset":
            H = torch.zeros(1, h, dtype=torch.float64)
        H = torch.tanh(x @ P["rnn.W_xh"] + H @ P["rnn.W_hh"] + P["rnn.b_h"])
        if i < warm and mistake != "predictions during warm-up":
            outputs.append(idx[prefix[i + 1]])
        else:
            logits = (H @ P["W_hq"] + P["b_q"])[0]
            top = logits.topk(2).values
            margin = min(margin, (top[0] - top[1]).item())
            outputs.append(int(logits.argmax()))
    text = "".join(CHARS[i] for i in outputs)
    if mistake == "no warm-up":
        text = prefix[:-1] + text
    return text, margin


MISTAKES = {
    "predictions during warm-up": ("during the warm-up, append the prefix's next character (vocab[prefix[i + 1]]), not "
                                   "the model's prediction: the output starts with the whole prefix."),
    "no warm-up": ("feed the whole prefix, one character at a time, before predicting: the warm-up puts the prefix "
                   "into the hidden state. You started from its last character alone."),
    "state reset": ("pass the state that self.rnn returns into the next call; starting each step from None forgets "
                    "everything read before."),
    "one too many": "generate num_preds characters: the loop runs len(prefix) + num_preds - 1 times.",
}


def diagnose(P, prefix, num_preds, got) -> str:
    if not isinstance(got, str):
        return "return one string: ''.join(vocab.idx_to_token[i] for i in outputs)."
    if len(got) == len(prefix) + num_preds + 1 and got[:-1] == greedy(P, prefix, num_preds)[0]:
        return MISTAKES["one too many"]
    if len(got) == len(prefix) + num_preds - 1:
        return "generate num_preds characters: the loop runs len(prefix) + num_preds - 1 times (one step per input)."
    for mistake, hint in MISTAKES.items():
        if got == greedy(P, prefix, num_preds, mistake)[0]:
            return hint
    if got and all(c == CHARS[0] for c in got[len(prefix):]) and num_preds > 1:
        return "every prediction is index 0: " + ARGMAX_HINT
    return RULE


@functools.lru_cache(maxsize=None)
def memory_model(start_seed, prefixes, num_preds, num_hiddens=16):
    """The first seed from start_seed whose random model chooses every character by a margin of at least 0.05 and
    continues each of `prefixes` differently (they end alike, so only the warm-up tells them apart)."""
    for seed in range(start_seed, start_seed + 200):
        P = lm_weights(V, num_hiddens, seed)
        runs = [greedy(P, p, num_preds) for p in prefixes]
        texts = [t[len(p):] for (t, _), p in zip(runs, prefixes)]
        if min(m for _, m in runs) >= 0.05 and len(set(texts)) == len(texts) and all(
                len(set(t)) > 2 for t in texts):
            return seed
    raise RuntimeError("no suitable random model")   # cannot happen for the seeds used below


ARGMAX_HINT = ("take the argmax over the vocabulary, the last dimension of the (1, 1, vocab_size) logits (argmax(dim=2) "
               "or dim=-1): that leaves the one index of the next character.")


DEVICE_HINT = ("make each input on the given device, where the model is: torch.tensor([[index]], device=device). "
               "torch.tensor(...) alone lives on the CPU, and on a GPU the model cannot multiply it.")


def run_predict(lm, prefix, num_preds, what):
    try:
        return lm.bound("predict").run(prefix, num_preds).value
    except StudentError as e:
        hint = RULE
        if "invalid for input of size" in e.message or "only one element tensors" in e.message:
            hint = ARGMAX_HINT
        elif "device" in e.message.lower():   # graded on a GPU: an input made on the CPU
            hint = DEVICE_HINT
        as_mistake(e, what, hint)


def generate(student, sibling, device, P, prefix, num_preds, label):
    h = P["rnn.W_hh"].shape[0]
    lm = char_lm(sibling, student, TEXT, h, device=device, weights=P)
    what = f"predict({prefix!r}, {num_preds}, ...) for {label}"
    got = run_predict(lm, prefix, num_preds, what)
    want, _ = greedy(P, prefix, num_preds)
    if got != want:
        where = ""
        if isinstance(got, str):
            i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            where = f" They first differ at character {i}."
        hint = diagnose(P, prefix, num_preds, got)
        if hint == RULE and run_predict(lm, prefix, num_preds, what) != got:
            hint = ("two calls with the same model and prefix gave different texts: take the most likely character "
                    "(the argmax of the logits), do not sample.")
        raise Mistake(f"{what} returned {kind(got)}, expected {want!r}.{where}", hint)
    return got


SUCCESSOR = "the model that writes the alphabet (each character is followed by the next letter, h by a)"


@pytest.mark.points(1.5)
def test_prefix_kept_and_length(student, sibling, device):
    P = successor_weights()
    lm = char_lm(sibling, student, TEXT, V, device=device, weights=P)
    for prefix, n in [("hac", 4), ("hfa", 6)]:   # not in alphabetical order: the warm-up must keep the prefix
        what = f"predict({prefix!r}, {n}, ...) for {SUCCESSOR}"
        got = run_predict(lm, prefix, n, what)
        if not isinstance(got, str):
            raise Mistake(f"{what} returned {kind(got)}, expected a string.", diagnose(P, prefix, n, got))
        if not got.startswith(prefix) or len(got) != len(prefix) + n:
            raise Mistake(f"{what} returned {got!r}; it should start with the prefix {prefix!r} and have "
                          f"{len(prefix)} + {n} = {len(prefix) + n} characters.", diagnose(P, prefix, n, got))


@pytest.mark.points(1.5)
def test_the_alphabet_model(student, sibling, device):
    P = successor_weights()
    generate(student, sibling, device, P, "hac", 4, SUCCESSOR)
    generate(student, sibling, device, P, "gbe", 5, SUCCESSOR)


@pytest.mark.points(3)
def test_greedy_continuation_of_a_model_with_memory(student, sibling, device):
    for start, prefix in [(0, "bad"), (300, "hegde")]:
        seed = memory_model(start, (prefix,), 12)
        generate(student, sibling, device, lm_weights(V, 16, seed), prefix, 12,
                 "a random model with 16 hidden units whose next character depends on the characters before")


@pytest.mark.points(2)
def test_warm_up_reads_the_whole_prefix(student, sibling, device):
    prefixes = ("cab", "hhb", "gfeab")   # all end in 'b': only the warm-up tells them apart
    seed = memory_model(600, prefixes, 8)
    for prefix in prefixes:
        generate(student, sibling, device, lm_weights(V, 16, seed), prefix, 8,
                 f"a random model whose continuations of {', '.join(map(repr, prefixes))} all differ")


@pytest.mark.points(2)
def test_one_character_prefix_and_few_predictions(student, sibling, device):
    seed = memory_model(900, ("e",), 6)
    P = lm_weights(V, 16, seed)
    label = "a random model with 16 hidden units"
    generate(student, sibling, device, P, "e", 6, label)
    generate(student, sibling, device, P, "dab", 1, label)
    generate(student, sibling, device, successor_weights(), "cde", 0, SUCCESSOR)
