"""Grader for ch10-build_array: sequences of fixed length and their valid lengths (book 10.5.3).

`build_array(sentences, num_steps, is_tgt=False)` is the book's `_build_array` (inside `MTFraEng._build_arrays`)
up to the vocabulary, which the lesson applies afterwards: each token list goes through the book's
`pad_or_trim(seq, num_steps)` (its first num_steps tokens, or the list followed by '<pad>' up to num_steps), a
target (is_tgt) then gets '<bos>' in front, and the valid length of each sequence is its number of tokens that are
not '<pad>' (as the book's `reduce_sum(array != vocab['<pad>'], 1)`, which counts '<bos>'). It returns
(padded token lists, valid lengths), the valid lengths as an integer tensor: the value tests accept a list of ints
as well, and test_valid_len_is_an_integer_tensor (1 point) asks for the tensor. The caller's lists are left as they
were. Strings and lists cross the sandbox as plain data.
"""
import pytest
import torch

from autograder.checks import Mistake
from autograder.graders.common.text import hint_for, run, short

GENERIC_HINT = ("pad_or_trim = lambda seq, t: seq[:t] if len(seq) > t else seq + ['<pad>'] * (t - len(seq)); "
                "apply it to every sentence, put '<bos>' in front of each when is_tgt, and count the tokens that "
                "are not '<pad>' for the valid lengths.")
SHAPE_HINT = ("return (sentences, valid_len): the list of padded or trimmed token lists, and an integer tensor with "
              "the number of tokens that are not '<pad>' in each.")


def book_build_array(sentences, num_steps, is_tgt=False, mistake=""):
    """The book's steps up to the vocabulary, or one of MISTAKES."""
    def pad_or_trim(seq, t):
        if mistake == "pad in front":
            return seq[:t] if len(seq) > t else ["<pad>"] * (t - len(seq)) + seq
        if mistake == "keep the end":
            return seq[-t:] if len(seq) > t else seq + ["<pad>"] * (t - len(seq))
        pad = "<unk>" if mistake == "wrong pad" else "<pad>"
        return seq[:t] if len(seq) > t else seq + [pad] * (t - len(seq))

    t = num_steps - 1 if mistake == "one short" else num_steps
    if is_tgt and mistake == "bos first":
        out = [pad_or_trim(["<bos>"] + s, t) for s in sentences]
    else:
        out = [pad_or_trim(s, t) for s in sentences]
        if is_tgt:
            out = [s + ["<bos>"] if mistake == "bos last" else ["<bos>"] + s for s in out]
    if mistake == "length before trimming":
        valid = [len(s) + (1 if is_tgt else 0) for s in sentences]
    elif mistake == "all counted":
        valid = [len(s) for s in out]
    elif mistake == "bos not counted":
        valid = [sum(tok not in ("<pad>", "<bos>") for tok in s) for s in out]
    else:
        valid = [sum(tok != "<pad>" for tok in s) for s in out]
    return out, valid


MISTAKES = {
    "pad in front": "pad at the end: seq + ['<pad>'] * (num_steps - len(seq)); the tokens stay at the start.",
    "keep the end": "a sequence too long keeps its first num_steps tokens, seq[:num_steps], not its last ones.",
    "wrong pad": "pad with the token '<pad>'.",
    "bos first": "pad or trim first, then put '<bos>' in front: a target has num_steps + 1 tokens, as in the book.",
    "one short": "each sequence gets exactly num_steps tokens (num_steps + 1 with '<bos>' for a target).",
    "bos last": "'<bos>' (beginning of sequence) goes in front of the target: ['<bos>'] + seq.",
    "length before trimming": "count the tokens of the padded or trimmed sequence: a sentence longer than "
                              "num_steps has num_steps valid tokens, not its original length.",
    "all counted": "the valid length counts only the tokens that are not '<pad>', not the padded length.",
    "bos not counted": "the valid length counts every token that is not '<pad>', '<bos>' included (the book's "
                       "array != vocab['<pad>']).",
}


def _lengths(valid):
    if isinstance(valid, torch.Tensor):
        if valid.is_floating_point() or valid.is_complex() or valid.dtype == torch.bool:
            return None
        return [int(v) for v in valid.reshape(-1).tolist()] if valid.dim() == 1 else None
    if isinstance(valid, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in valid):
        return list(valid)
    return None


def describe(sentences, num_steps, is_tgt):
    return f"build_array({short(sentences, 110)}, num_steps={num_steps}" + (", is_tgt=True)" if is_tgt else ")")


def check(student, sentences, num_steps, is_tgt=False, return_args=False):
    args = (sentences, num_steps) + ((True,) if is_tgt else ())
    call = describe(sentences, num_steps, is_tgt)
    out = run(student, args, call, return_args=return_args)
    got = out.value
    want, want_valid = book_build_array(sentences, num_steps, is_tgt)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake(f"{call} returned {short(got)}, expected a pair (sentences, valid_len).", SHAPE_HINT)
    padded, valid = got
    if not isinstance(padded, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in padded):
        raise Mistake(f"{call} returned {short(padded)} as its sentences, expected a list of token lists.",
                      SHAPE_HINT)
    padded = [list(s) for s in padded]
    lengths = _lengths(valid)
    if lengths is None:
        what = (f"a tensor of dtype {valid.dtype} and shape {tuple(valid.shape)}" if isinstance(valid, torch.Tensor)
                else short(valid))
        raise Mistake(f"{call} returned {what} as valid_len, expected an integer tensor of shape "
                      f"({len(sentences)},).", "count with integers: (array != pad).sum(1), or torch.tensor of "
                                               "a list of ints.")

    def hint():
        return hint_for((padded, lengths), {MISTAKES[m]: (lambda m=m: book_build_array(sentences, num_steps, is_tgt,
                                                                                       m)) for m in MISTAKES},
                        GENERIC_HINT)

    if len(padded) != len(want):
        raise Mistake(f"{call} returned {len(padded)} sequences for {len(want)} sentences.", hint)
    for i, (g, w) in enumerate(zip(padded, want)):
        if g != w:
            raise Mistake(f"{call}: sequence {i} is {short(g)}, expected {short(w)}.", hint)
    if lengths != want_valid:
        raise Mistake(f"{call}: valid_len is {lengths}, expected {want_valid}.", hint)
    return out


SHORT = [["go", ".", "<eos>"], ["hi", ".", "<eos>"], ["i", "lost", ".", "<eos>"]]
LONG = [["i", "have", "a", "very", "long", "sentence", "here", ".", "<eos>"], ["run", "!", "<eos>"]]


@pytest.mark.points(2)
def test_short_sentences_are_padded(student):
    check(student, SHORT, 5)
    check(student, [["va", "!", "<eos>"]], 9)


@pytest.mark.points(2)
def test_long_sentences_are_trimmed(student):
    check(student, LONG, 4)
    check(student, [["a", "b", "c", "d", "e", "f", "<eos>"]], 3)


@pytest.mark.points(1)
def test_exact_length_and_one_step(student):
    check(student, [["a", "b", "<eos>"], ["c", "d", "<eos>"]], 3)
    check(student, SHORT, 1)


@pytest.mark.points(2.5)
def test_targets_get_bos_in_front(student):
    check(student, SHORT, 5, is_tgt=True)
    check(student, LONG, 4, is_tgt=True)


@pytest.mark.points(1.5)
def test_callers_lists_are_unchanged(student):
    sentences = [["go", ".", "<eos>"], ["i", "am", "very", "tired", ".", "<eos>"]]
    for is_tgt in (False, True):
        out = check(student, sentences, 4, is_tgt, return_args=True)
        if out.args[0] != sentences:
            raise Mistake(f"{describe(sentences, 4, is_tgt)} changed the caller's sentences into "
                          f"{short(out.args[0])}.", "make new lists (seq + [...], seq[:t], ['<bos>'] + seq) instead "
                                                    "of changing the given ones in place (seq += ..., seq.append, "
                                                    "seq.extend, seq.insert).")


@pytest.mark.points(1)
def test_valid_len_is_an_integer_tensor(student):
    call = describe(SHORT, 4, False)
    got = run(student, (SHORT, 4), call).value
    valid = got[1] if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if not isinstance(valid, torch.Tensor) or valid.is_floating_point() or valid.dtype == torch.bool:
        what = f"a tensor of dtype {valid.dtype}" if isinstance(valid, torch.Tensor) else short(valid)
        raise Mistake(f"{call} returned {what} as valid_len, expected an integer tensor, as the book's "
                      "reduce_sum of the mask gives.", "torch.tensor([...]) of a list of ints is int64; "
                                                       "(array != pad).sum(1) too.")
    check(student, SHORT, 4)
