"""Grader for ch10-beam_search: beam search and the book's length-normalised score (book 10.8.3).

The model is a table the grader controls, so the expected hypotheses are known: `log_probs[i, j]` is the log
probability that token j follows token i (a first-order model; the row of `bos` gives the first token). The search,
exactly as the lesson states it:

1. step 1: the k tokens with the largest log_probs[bos] are the beam, k hypotheses of one token;
2. steps 2 to max_steps: every hypothesis of the previous beam that does not end with `eos` is extended by every
   token j (its log P plus log_probs[last token, j]); the k extensions with the largest log P are the new beam. A
   hypothesis ending with `eos` is complete and not extended; when none is left to extend, the search stops;
3. the candidates are all hypotheses of all the beams (the book's A, C, AB, CE, ABD, CED);
4. each candidate scores (1 / L**alpha) * log P, L its number of tokens, `eos` included (bos is not a token of it);
5. the result is the min(k, number of candidates) best candidates, best first: a list of (tokens, score) pairs.

The truth is `book_beam_search`, a direct transcription in float64 (or one of MISTAKES, to name them). The tests
use a table made so that the search follows the book's figure (A, C; AB, CE; ABD, CED), tables where beam search
beats greedy search, where the length normalisation changes the winner, where `eos` ends hypotheses early, and
random tables. The table crosses the sandbox as a tensor; the result comes back as plain lists and numbers (a token
or a score may also be a 0-dim tensor).
"""
import math

import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, seeded

A, B, C, D, E, EOS, BOS = range(7)
NAMES = ["A", "B", "C", "D", "E", "<eos>", "<bos>"]
GENERIC_HINT = ("step 1: the k best first tokens (row bos); then at each step extend every hypothesis that does not "
                "end with eos by every token and keep the k extensions with the largest log P; collect every "
                "hypothesis of every step; score each by log P / L**alpha (L counts its eos); return the k best "
                "candidates, best first, as (tokens, score).")
SHAPE_HINT = "return a list of (tokens, score) pairs: tokens a list of ints (without bos), score a float; best first."


def book_beam_search(log_probs, bos, eos, k, max_steps, alpha=0.75, mistake=""):
    """The lesson's beam search in float64, or one of MISTAKES. Returns [(tokens, score)], best first."""
    lp = log_probs.detach().double().cpu()
    V = lp.shape[0]
    beam, candidates = [([], 0.0)], []
    steps = max_steps - 1 if mistake == "one step short" else max_steps
    for _ in range(steps):
        extensions = []
        for seq, logp in beam:
            if seq and seq[-1] == eos and mistake != "extend finished":
                continue
            row = lp[seq[-1] if seq else bos]
            tokens = [int(row.argmax())] if mistake == "one extension each" and seq else range(V)
            extensions += [(seq + [j], logp + float(row[j])) for j in tokens]
        if not extensions:
            break
        extensions.sort(key=lambda e: -e[1])
        beam = extensions[:k]
        candidates = beam if mistake == "last beam only" else candidates + beam

    def score(seq, logp):
        if mistake == "eos dropped" and seq[-1] == eos:
            logp -= float(lp[seq[-2] if len(seq) > 1 else bos, eos])
            seq = seq[:-1]
        L = len(seq) - (1 if mistake == "eos not counted" and seq and seq[-1] == eos else 0)
        if L == 0:
            return -math.inf
        power = {"raw log P": 0.0, "divided by L": 1.0}.get(mistake, alpha)
        return logp / L ** power

    scored = sorted(((seq, score(seq, logp)) for seq, logp in candidates), key=lambda c: -c[1])
    if mistake == "ascending":
        scored = scored[:k][::-1]
    if mistake == "eos dropped":
        scored = [(s[:-1] if s and s[-1] == eos else s, v) for s, v in scored]
    if mistake == "bos included":
        scored = sorted((([bos] + seq, logp / (len(seq) + 1) ** alpha) for seq, logp in candidates),
                        key=lambda c: -c[1])
    return scored[:k]


MISTAKES = {
    "raw log P": "rank the candidates by the book's score, log P / L**alpha, not by log P alone: log P only falls "
                 "as a sequence grows, so without the normalisation the shortest candidates always win.",
    "divided by L": "divide log P by L**alpha (L to the power alpha, alpha = 0.75 by default), not by L.",
    "last beam only": "the candidates are the hypotheses of every step's beam (the book's A, C, AB, CE, ABD, CED), "
                      "not only those of the last step.",
    "extend finished": "a hypothesis that ends with eos is complete: do not extend it at the next steps.",
    "eos not counted": "L counts every token of the hypothesis, its eos included (the kit's reading of the book: "
                       "the score includes the probability of stopping there).",
    "eos dropped": "keep eos in the hypothesis and in its score: log P includes log P(eos | ...) and L counts it; "
                   "drop it only when you print a translation.",
    "one extension each": "at each step choose the k best among all k * |Y| extensions, not the single best "
                          "extension of each hypothesis (that is k greedy searches).",
    "ascending": "return the hypotheses best first (highest score first).",
    "bos included": "bos is not a token of a hypothesis: start from an empty hypothesis that continues from bos, "
                    "and neither return bos nor count it in L.",
    "one step short": "run max_steps steps: the longest hypotheses have max_steps tokens.",
}


# -- tables -------------------------------------------------------------------------------------------------

def table(rows, V=7):
    """A table from {previous token: {next token: probability}}; the rest of each row shares what is left."""
    P = torch.full((V, V), 0.0, dtype=torch.float64)
    for prev, nexts in rows.items():
        rest = (1.0 - sum(nexts.values())) / (V - len(nexts))
        P[prev] = rest
        for j, p in nexts.items():
            P[prev, j] = p
    P[P == 0] = 1e-3
    return (P / P.sum(1, keepdim=True)).log()


def books_figure():
    """Tokens A..E, <eos>, <bos>. Made so that beam size 2 and 3 steps keep A, C; AB, CE; ABD, CED, as the figure
    of 10.8 (no row is uniform, so no two extensions tie)."""
    return table({BOS: {A: 0.45, C: 0.3, B: 0.1, D: 0.06, E: 0.05, EOS: 0.03},
                  A: {B: 0.7, D: 0.1, A: 0.08, C: 0.06, E: 0.04, EOS: 0.02},
                  C: {E: 0.6, B: 0.15, A: 0.1, D: 0.07, C: 0.05, EOS: 0.03},
                  B: {D: 0.8, A: 0.08, C: 0.05, B: 0.04, E: 0.02, EOS: 0.01},
                  E: {D: 0.7, A: 0.12, B: 0.08, C: 0.05, E: 0.03, EOS: 0.02},
                  D: {EOS: 0.5, A: 0.2, B: 0.12, C: 0.09, D: 0.05, E: 0.03}})


def greedy_trap():
    """Greedy takes A (0.5) and then can only continue badly; C (0.4) leads to a sure C D <eos>."""
    return table({BOS: {A: 0.5, C: 0.4, B: 0.05, D: 0.02, E: 0.02, EOS: 0.005},
                  A: {B: 0.3, D: 0.25, E: 0.2, C: 0.15, A: 0.07, EOS: 0.02},
                  C: {D: 0.95, A: 0.02, B: 0.01, C: 0.005, E: 0.005, EOS: 0.005},
                  D: {EOS: 0.9, A: 0.04, B: 0.03, C: 0.02, D: 0.005, E: 0.004},
                  B: {EOS: 0.4, A: 0.2, C: 0.2, D: 0.1, B: 0.06, E: 0.03},
                  E: {EOS: 0.35, A: 0.25, B: 0.15, C: 0.12, D: 0.08, E: 0.04}})


def length_table():
    """A short sure ending (<eos> at once, P 0.4) against a longer likely sentence A B D <eos>: log P prefers the
    short one, log P / L**0.75 the long one."""
    return table({BOS: {EOS: 0.4, A: 0.35, B: 0.1, C: 0.08, D: 0.05, E: 0.015},
                  A: {B: 0.9, C: 0.03, D: 0.03, E: 0.02, A: 0.01, EOS: 0.005},
                  B: {D: 0.9, A: 0.03, C: 0.03, E: 0.02, B: 0.01, EOS: 0.005},
                  D: {EOS: 0.9, A: 0.03, B: 0.03, C: 0.02, D: 0.01, E: 0.005},
                  C: {EOS: 0.3, A: 0.25, B: 0.2, C: 0.1, D: 0.1, E: 0.04},
                  E: {EOS: 0.3, A: 0.25, B: 0.2, C: 0.1, D: 0.1, E: 0.04}})


def random_table(V, seed, eos_bias=0.0):
    logits = seeded(V, V, seed=seed, dtype=torch.float64, scale=2.0)
    logits[:, V - 1] = -30.0          # nothing leads back to bos (the last token)
    logits[:, V - 2] += eos_bias      # eos is the second to last
    return torch.log_softmax(logits, 1)


# -- checking ---------------------------------------------------------------------------------------------

def names(tokens):
    return " ".join(NAMES[t] if 0 <= t < len(NAMES) else str(t) for t in tokens) if len(tokens) else "(empty)"


def show(hypotheses, with_names):
    if hypotheses is None:
        return "?"
    return "[" + ", ".join(f"({names(t) if with_names else t}, {s:.4f})" for t, s in hypotheses) + "]"


def as_int(t):
    if isinstance(t, bool):
        return None
    if isinstance(t, int):
        return t
    if isinstance(t, torch.Tensor) and t.numel() == 1 and not t.is_floating_point():
        return int(t.reshape(()).item())
    return None


def as_float(s):
    if isinstance(s, bool):
        return None
    if isinstance(s, (int, float)):
        return float(s)
    if isinstance(s, torch.Tensor) and s.numel() == 1:
        return float(s.reshape(()).item())
    return None


def normalised(value):
    """[(list of ints, float)] from what the student returned, or None when it has another form."""
    if not isinstance(value, (list, tuple)):
        return None
    out = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            return None
        tokens, score = item
        if isinstance(tokens, torch.Tensor):
            tokens = tokens.reshape(-1).tolist() if not tokens.is_floating_point() else None
        if not isinstance(tokens, (list, tuple)):
            return None
        tokens = [as_int(t) for t in tokens]
        score = as_float(score)
        if any(t is None for t in tokens) or score is None:
            return None
        out.append((tokens, score))
    return out


def describe(log_probs, bos, eos, k, max_steps, alpha, what):
    V = log_probs.shape[0]
    dtype = "" if log_probs.dtype == torch.float64 else f" ({str(log_probs.dtype)[6:]})"
    return (f"beam_search(log_probs, bos={bos}, eos={eos}, k={k}, max_steps={max_steps}, alpha={alpha}) with a "
            f"{V} x {V} table{dtype}" + (f" ({what})" if what else ""))


def check(student, device, log_probs, bos, eos, k, max_steps, alpha=0.75, what="", expected=None,
          with_names=False, dtype=torch.float64, return_args=False):
    sent = log_probs.to(dtype).to(device)
    call = describe(sent, bos, eos, k, max_steps, alpha, what)
    try:
        out = student.run(sent, bos, eos, k, max_steps, alpha, return_args=return_args)
    except StudentError as e:
        as_mistake(e, call, "index the table with ints (int(token)) and keep the scores as Python floats; "
                            "the table may be on a GPU." if "device" in e.message.lower() else "")
    want = book_beam_search(sent, bos, eos, k, max_steps, alpha)
    if expected is not None:   # the hand-worked answer, which the transcription must agree with
        assert [t for t, _ in want] == [t for t, _ in expected], (want, expected)
    got = normalised(out.value)
    if got is None:
        raise Mistake(f"{call} returned {str(out.value)[:200]}, expected a list of (tokens, score) pairs like "
                      f"{show(want, False)}.", SHAPE_HINT)
    rtol = 1e-9 if dtype == torch.float64 else 1e-5
    same = len(got) == len(want) and all(
        t == wt and math.isclose(s, ws, rel_tol=rtol, abs_tol=1e-9) for (t, s), (wt, ws) in zip(got, want))
    if same:
        return out
    hints = []   # every known mistake that gives this answer (two can coincide on one table)
    for mistake, text in MISTAKES.items():
        wrong = book_beam_search(sent, bos, eos, k, max_steps, alpha, mistake)
        if len(wrong) == len(got) and all(t == wt and math.isclose(s, ws, rel_tol=1e-6, abs_tol=1e-9)
                                          for (t, s), (wt, ws) in zip(got, wrong)):
            hints.append(text)
    hint = " Or: ".join(hints) or GENERIC_HINT
    raise Mistake(f"{call} returned {show(got, with_names)}, expected {show(want, with_names)} (tokens, then "
                  "score = log P / L**alpha).", hint)


# -- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_the_books_figure(student, device):
    """Beam size 2, 3 steps: the beams are A, C; A B, C E; A B D, C E D, and the six are the candidates."""
    P = books_figure()
    check(student, device, P, BOS, EOS, 2, 3, what="tokens A B C D E <eos> <bos>, the book's figure",
          expected=[([A, B, D], 0), ([A, B], 0)], with_names=True)
    check(student, device, P, BOS, EOS, 6, 3, what="the same, all six candidates", with_names=True)


@pytest.mark.points(1.5)
def test_beam_search_beats_greedy_search(student, device):
    P = greedy_trap()
    check(student, device, P, BOS, EOS, 1, 4, what="k = 1: greedy search's path A, A B, A B <eos>",
          with_names=True, expected=[([A], 0)])
    check(student, device, P, BOS, EOS, 2, 4, what="k = 2 keeps C and finds C D <eos>", with_names=True,
          expected=[([C, D, EOS], 0), ([C, D], 0)])


@pytest.mark.points(1.5)
def test_length_normalisation(student, device):
    P = length_table()
    check(student, device, P, BOS, EOS, 2, 4, 0.75, what="log P / L**0.75 prefers the longer sentence",
          with_names=True, expected=[([A, B, D, EOS], 0), ([A, B, D], 0)])
    check(student, device, P, BOS, EOS, 2, 4, 0.0, what="alpha = 0: plain log P prefers <eos> at once",
          with_names=True, expected=[([EOS], 0), ([A], 0)])
    check(student, device, P, BOS, EOS, 3, 4, 1.0, what="alpha = 1: the mean log P per token", with_names=True)


@pytest.mark.points(1.5)
def test_eos_ends_a_hypothesis(student, device):
    for seed in (0, 16):
        check(student, device, random_table(6, seed, eos_bias=1.5), 5, 4, 3, 5,
              what=f"random table {seed}, <eos> (token 4) likely: hypotheses end early and are not extended")
    check(student, device, random_table(6, 16, eos_bias=1.5), 5, 4, 2, 1, what="a single step")


@pytest.mark.points(2.5)
def test_random_tables(student, device):
    for V, k, steps, alpha, seed in [(5, 2, 4, 0.75, 10), (8, 3, 5, 0.75, 11), (6, 4, 3, 0.5, 12),
                                     (10, 5, 6, 0.75, 13), (4, 4, 4, 1.2, 14)]:
        check(student, device, random_table(V, seed, eos_bias=0.5), V - 1, V - 2, k, steps, alpha,
              what=f"random table {seed}, bos={V - 1}, eos={V - 2}")


@pytest.mark.points(0.5)
def test_table_unmodified(student, device):
    P = random_table(6, 20)
    out = check(student, device, P, 5, 4, 3, 4, return_args=True)
    if not torch.equal(out.args[0].to(device), P.to(device)):
        raise Mistake(f"{describe(P, 5, 4, 3, 4, 0.75, '')} changed log_probs in place.",
                      "read the table; do not write into it (no log_probs[...] = ..., no in-place ops on its rows).")


@pytest.mark.points(0.5)
def test_float32_table(student, device):
    check(student, device, random_table(7, 21, eos_bias=1.0), 6, 5, 3, 5, dtype=torch.float32,
          what="a float32 table, on the grading device")
