"""Grader for ch09-Vocab: the vocabulary of book 9.2.3, a two-way map between tokens and indices.

The order of the indices is the 1st edition's (the lesson says why): `<unk>` at 0, then the reserved tokens, then
the tokens that occur at least `min_freq` times from the most to the least frequent, ties in order of first
appearance (the order `sorted(..., reverse=True)` of a `collections.Counter` keeps). Truth: that rule, computed
here. The object lives where the student's code runs; the grader calls its methods by name (`bound`) with strings
and lists, and reads `unk` and `token_freqs` through methods of the values they hold.
"""
import collections

import pytest

from autograder.checks import Mistake, StudentError, as_mistake, expect_fast
from autograder.graders.common.sequences import kind, quote

ORDER = ("indices: <unk> is 0, then the reserved tokens in the order given, then every token that occurs at least "
         "min_freq times, from the most to the least frequent (ties in order of first appearance).")


# -- the truth and the usual wrong orders -----------------------------------------------------------------------

def flat(tokens):
    return [t for line in tokens for t in line] if tokens and isinstance(tokens[0], list) else list(tokens)


def counts(tokens):
    return sorted(collections.Counter(flat(tokens)).items(), key=lambda x: x[1], reverse=True)


def book_order(tokens, min_freq=0, reserved=(), mistake=""):
    """idx_to_token as the book builds it, or as one of the usual mistakes would."""
    freqs = counts(tokens)
    if mistake == "ties alphabetical":
        freqs = sorted(freqs, key=lambda x: (-x[1], x[0]))
    if mistake == "ascending":
        freqs = freqs[::-1]
    keep = [t for t, f in freqs if (f > min_freq if mistake == "min_freq >" else f >= min_freq)]
    if mistake == "alphabetical":   # the 2nd edition's listing
        return sorted(set(["<unk>"] + list(reserved) + keep))
    if mistake == "no frequency sort":
        keep = [t for t in dict.fromkeys(flat(tokens)) if t in keep]
    head = ["<unk>"] + list(reserved)
    if mistake == "unk last":
        head = list(reserved)
    rest = keep if mistake == "duplicates" else [t for t in keep if t not in head]
    if mistake == "reserved last":
        out = ["<unk>"] + [t for t in keep if t not in reserved] + list(reserved)
    else:
        out = head + rest
    if mistake == "unk last":
        out = out + ["<unk>"]
    return out


HINTS = {
    "ascending": "the most frequent token gets the smallest index: sort the counts with reverse=True.",
    "ties alphabetical": ("tokens with the same count keep the order in which they first appear (sorted() is stable, "
                          "and a Counter remembers insertion order); do not break ties by the token itself."),
    "alphabetical": ("your indices follow the alphabet (the 2nd edition's listing sorts idx_to_token). This lesson "
                     "numbers tokens by frequency, as the 1st edition: " + ORDER),
    "min_freq >": "keep tokens whose count is at least min_freq (freq >= min_freq), not only those above it.",
    "no frequency sort": ("you numbered the tokens in order of first appearance; number them from the most to the "
                          "least frequent (sort the Counter's items by count, reverse=True)."),
    "unk last": "'<unk>' is always index 0: start idx_to_token with ['<unk>'].",
    "reserved last": "the reserved tokens come right after '<unk>', before the tokens of the text.",
    "duplicates": ("a reserved token that also occurs in the text must not get a second index: skip tokens that are "
                   "already in token_to_idx."),
}


def diagnose(tokens, min_freq, reserved, got_map: dict) -> str:
    for mistake, hint in HINTS.items():
        order = book_order(tokens, min_freq, reserved, mistake)
        if mistake == "duplicates":   # the second index overwrites the first in token_to_idx
            order = order[::-1]
            wrong = {t: (len(order) - 1 - order.index(t) if t in order else 0) for t in got_map}
        else:
            wrong = {t: (order.index(t) if t in order else 0) for t in got_map}
        if wrong == got_map:
            return hint
    return ORDER


def describe(tokens, min_freq=0, reserved=()):
    args = [quote(tokens, 60)]
    if min_freq:
        args.append(f"min_freq={min_freq}")
    if reserved:
        args.append(f"reserved_tokens={list(reserved)!r}")
    return f"Vocab({', '.join(args)})"


# -- talking to the student's object ------------------------------------------------------------------------------

def build(student, tokens=None, min_freq=0, reserved=()):
    kwargs = {}
    if min_freq:
        kwargs["min_freq"] = min_freq
    if reserved:
        kwargs["reserved_tokens"] = list(reserved)
    args = () if tokens is None else (tokens,)
    try:
        return student.new(*args, seed=0, **kwargs)
    except StudentError as e:
        hint = ""
        if e.type == "TypeError" and "unhashable" in e.message:
            hint = ("tokens may be a list of lines, each a list of tokens: flatten it first "
                    "([token for line in tokens for token in line]).")
        elif e.type == "TypeError" and "argument" in e.message:
            hint = "the constructor is Vocab(tokens=[], min_freq=0, reserved_tokens=[]), as in the book."
        as_mistake(e, "Vocab()" if tokens is None else describe(tokens, min_freq, reserved), hint)


SHARED_HINT = ("a default argument such as reserved_tokens=[] is one list shared by every call: build a new list "
               "(['<unk>'] + reserved_tokens) instead of appending to it or inserting into it.")


PROPERTY_HINT = ("make unk a property (@property above def unk(self)), so that self.unk is the number 0; without "
                 "@property, self.unk is the method itself.")
TO_TOKENS_HINT = ("to_tokens(index) is self.idx_to_token[index]; for a list of indices return the list of their "
                  "tokens (a list of one index gives a list of one token).")


def call(vocab, method, what, *args, hint=""):
    try:
        value = vocab.bound(method).run(*args).value
    except StudentError as e:
        if e.type == "ReturnTypeError" and "method" in e.message:
            hint = PROPERTY_HINT
        elif not hint and method == "__getitem__" and e.type == "KeyError":
            hint = "a token the vocabulary does not hold gets index unk: self.token_to_idx.get(token, self.unk)."
        elif not hint and method == "to_tokens" and e.type == "TypeError":
            hint = TO_TOKENS_HINT
        as_mistake(e, what, hint)
    if type(value).__name__ == "method" or (isinstance(value, list) and any(type(v).__name__ == "method"
                                                                            for v in value)):
        raise Mistake(f"{what} returned a method where a number was expected.", PROPERTY_HINT)
    return value


def lookup(vocab, token, what):
    return call(vocab, "__getitem__", f"vocab[{token!r}] for vocab = {what}", token)


def expect_indices(vocab, tokens, min_freq=0, reserved=(), probe=()):
    """len(vocab) and vocab[token] for every token of the text (and `probe`) against the book's order."""
    what = describe(tokens, min_freq, reserved)
    order = book_order(tokens, min_freq, reserved)
    names = list(dict.fromkeys(list(reserved) + flat(tokens) + list(probe)))
    got = {t: lookup(vocab, t, what) for t in names}
    want = {t: (order.index(t) if t in order else 0) for t in names}
    size = call(vocab, "__len__", f"len({what})")
    if got != want:
        t = next(t for t in names if got[t] != want[t])
        hint = diagnose(tokens, min_freq, reserved, got)
        if hint == ORDER and isinstance(size, int) and size > len(order):
            hint = f"the vocabulary holds {size} tokens where {len(order)} were expected. Perhaps {SHARED_HINT}"
        raise Mistake(f"vocab[{t!r}] returned {kind(got[t])}, expected {want[t]} for vocab = {what}. The book's "
                      f"idx_to_token is {quote(order, 90)}.", hint)
    if size != len(order):
        raise Mistake(f"len({what}) returned {kind(size)}, expected {len(order)} (<unk>, the reserved tokens and the "
                      "tokens kept).", "__len__ returns len(self.idx_to_token).")
    return order


# -- tests --------------------------------------------------------------------------------------------------------

# counts 5, 4, 3, 2, 1 in an order where first appearance, frequency and the alphabet all disagree
WORDS = "wells by the time machine the time by the machine time the machine time the".split()


@pytest.mark.points(2.5)
def test_indices_by_frequency(student):
    vocab = build(student, WORDS)
    order = expect_indices(vocab, WORDS)
    what = describe(WORDS)
    got = call(vocab, "__getitem__", f"vocab[['time', 'wells', 'the']] for vocab = {what}", ["time", "wells", "the"])
    want = [order.index(t) for t in ("time", "wells", "the")]
    if got != want:
        raise Mistake(f"vocab[['time', 'wells', 'the']] returned {kind(got)}, expected the list {want} for vocab = "
                      f"{what}.", "for a list (or tuple) of tokens return the list of their indices: "
                                  "[self[token] for token in tokens].")


@pytest.mark.points(1)
def test_unknown_tokens_map_to_unk(student):
    vocab = build(student, WORDS)
    what = describe(WORDS)
    got = lookup(vocab, "traveller", what)
    if got != 0:
        raise Mistake(f"vocab['traveller'] returned {kind(got)} for a token that is not in vocab = {what}; expected "
                      "0, the index of '<unk>'.", "return self.token_to_idx.get(token, self.unk) (no KeyError).")
    the = lookup(vocab, "the", what)
    got = call(vocab, "__getitem__", f"vocab[('the', 'traveller')] for vocab = {what}", ("the", "traveller"))
    if got != [the, 0]:
        raise Mistake(f"vocab[('the', 'traveller')] returned {kind(got)}, expected [{the}, 0] (vocab['the'] is "
                      f"{the}).", "a tuple of tokens gives a list of indices too, with 0 for an unknown token.")
    try:
        unk = vocab.bound("unk.__index__").run().value
    except StudentError as e:
        as_mistake(e, f"vocab.unk for vocab = {what}",
                   PROPERTY_HINT if e.type == "AttributeError" and "method" in e.message else "")
    if unk != 0:
        raise Mistake(f"vocab.unk is {kind(unk)}, expected 0.", "'<unk>' is index 0, so unk returns 0.")


@pytest.mark.points(1)
def test_to_tokens(student):
    """Against the student's own indices: the order itself is test_indices_by_frequency's business."""
    vocab = build(student, WORDS)
    what = describe(WORDS)
    names = ["time", "wells", "the"]
    idx = {t: lookup(vocab, t, what) for t in names}
    for arg, want in [(idx["time"], "time"), (0, "<unk>"), ([idx[t] for t in names] + [0], names + ["<unk>"]),
                      ([idx["wells"]], ["wells"])]:
        got = call(vocab, "to_tokens", f"vocab.to_tokens({arg!r}) for vocab = {what}", arg)
        if got != want:
            raise Mistake(f"vocab.to_tokens({arg!r}) returned {kind(got)}, expected {want!r} for vocab = {what} "
                          f"(whose indices of {names} are {[idx[t] for t in names]}).", TO_TOKENS_HINT)


@pytest.mark.points(1)
def test_token_freqs_most_frequent_first(student):
    vocab = build(student, WORDS)
    what = describe(WORDS)
    want = counts(WORDS)
    try:
        got = vocab.bound("token_freqs.copy").run().value
    except StudentError as e:
        as_mistake(e, f"vocab.token_freqs for vocab = {what}",
                   "keep the sorted (token, count) pairs as self.token_freqs (a list), as the book does.")
    pairs = [tuple(p) for p in got] if isinstance(got, (list, tuple)) and all(
        isinstance(p, (list, tuple)) for p in got) else got
    if pairs != want:
        raise Mistake(f"vocab.token_freqs is {kind(got)}, expected {want!r} for vocab = {what}.",
                      "token_freqs is the list of (token, count) pairs of the text, from the most to the least "
                      "frequent: sorted(counter.items(), key=lambda x: x[1], reverse=True).")


@pytest.mark.points(0.5)
def test_ties_keep_first_appearance(student):
    tokens = list("zbadcacbezz")   # z 3 times; b, a, c twice each (in that order of appearance); d, e once
    vocab = build(student, tokens)
    expect_indices(vocab, tokens)
    got = vocab.bound("token_freqs.copy").run().value
    want = counts(tokens)
    if [tuple(p) for p in got] != want:
        raise Mistake(f"vocab.token_freqs is {kind(got)}, expected {want!r} for vocab = {describe(tokens)}.",
                      HINTS["ties alphabetical"])


@pytest.mark.points(1.5)
def test_min_freq_and_reserved_tokens(student):
    tokens = "b a c a b a e c a d b a c b d".split()    # a 5, b 4, c 3, d 2, e 1
    for min_freq, reserved in [(2, ("<pad>", "<bos>", "c")), (3, ("<eos>",)), (0, ("<pad>",))]:
        vocab = build(student, tokens, min_freq, reserved)
        order = expect_indices(vocab, tokens, min_freq, reserved, probe=["z"])
        what = describe(tokens, min_freq, reserved)
        got = call(vocab, "to_tokens", f"vocab.to_tokens({list(range(len(order)))}) for vocab = {what}",
                   list(range(len(order))))
        if got != order:
            raise Mistake(f"vocab.to_tokens({list(range(len(order)))}) returned {kind(got)}, expected {order!r} for "
                          f"vocab = {what}.", ORDER)


@pytest.mark.points(0.5)
def test_lines_of_tokens_are_flattened(student):
    lines = [["the", "time", "machine"], ["by", "h", "g", "wells"], ["the", "time", "traveller"], ["the"]]
    expect_indices(build(student, lines), lines)


@pytest.mark.points(1)
def test_defaults_and_empty_vocabulary(student):
    build(student, ["x", "y", "x"])
    second = build(student, ["z"])
    size = call(second, "__len__", "len(Vocab(['z'])) made after Vocab(['x', 'y', 'x'])")
    if size != 2:
        raise Mistake(f"len(Vocab(['z'])), made after Vocab(['x', 'y', 'x']), is {kind(size)}, expected 2 ('<unk>' "
                      "and 'z'): an earlier vocabulary changed this one.", SHARED_HINT)
    empty = build(student)
    size = call(empty, "__len__", "len(Vocab())")
    token = call(empty, "to_tokens", "Vocab().to_tokens(0)", 0)
    index = call(empty, "__getitem__", "Vocab()['the']", "the")
    if (size, token, index) != (1, "<unk>", 0):
        raise Mistake(f"Vocab() (no tokens) gave len {kind(size)}, to_tokens(0) {kind(token)} and ['the'] "
                      f"{kind(index)}; expected 1, '<unk>' and 0.",
                      "an empty vocabulary holds '<unk>' alone: Vocab() must work with the default arguments "
                      "tokens=[], min_freq=0, reserved_tokens=[]" + (f". It holds more: {SHARED_HINT}"
                                                                      if isinstance(size, int) and size > 1 else "."))


@pytest.mark.points(1)
def test_lookup_speed(student, reference):
    """A list search per token (idx_to_token.index(token)) is far slower than the dictionary lookup."""
    tokens = [f"w{i}" for i in range(3000) for _ in range(1 + (i % 3))]
    queries = [f"w{(i * 7919) % 3100}" for i in range(4000)]   # some unknown
    mine, ref = build(student, tokens), reference.new(tokens, seed=0)
    want = ref.bound("__getitem__").run(queries).value
    what = f"vocab[a list of {len(queries)} tokens] for a vocabulary of 3,001 tokens"
    got = call(mine, "__getitem__", what, queries)
    # whatever the order of the indices (test_indices_by_frequency's business): the same token always gets the same
    # index, different tokens different ones, and the unknown ones 0
    relabel = dict(zip(want, got)) if isinstance(got, list) and len(got) == len(want) else {}
    if not relabel or len(set(relabel.values())) != len(relabel) or [relabel[w] for w in want] != got or \
            relabel.get(0, 0) != 0:
        raise Mistake(f"{what} gave wrong indices (a list of {len(want)} indices, one per token, 0 for the unknown "
                      "ones, was expected).", ORDER)
    expect_fast(mine.bound("__getitem__"), ref.bound("__getitem__"), queries, threshold=10,
                call=f"vocab[a list of {len(queries)} tokens] for a vocabulary of 3,001 tokens",
                hint="look tokens up in a dictionary (self.token_to_idx.get(token, self.unk)), not with "
                     "idx_to_token.index(token), which searches the whole list for every token.")
