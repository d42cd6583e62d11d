"""Grader for ch10-tokenize: the book's `MTFraEng._tokenize(text, max_examples=None)` as a function (book 10.5.2).

The text is preprocessed already: one pair per line, source and target separated by a tab. Every line that splits
into exactly two parts gives one example: `src` gets the source's words split on spaces, empty tokens dropped, then
'<eos>'; `tgt` the same for the target. `max_examples` (None: all) keeps the first `max_examples` pairs.

Where the kit departs from the book's listing: it stops with `if max_examples and i > max_examples: break`, which
keeps `max_examples + 1` pairs (line indices 0 to max_examples). The lesson asks for exactly `max_examples`, so the
book's listing loses test_max_examples and test_a_longer_text (3.5 points); tests/graders/test_ch10_tokenize.py shows
that, and that it loses nothing else. In the test texts every line but the final empty one is a pair, so "the first
max_examples lines" and "the first max_examples pairs" are the same here.
"""
import pytest

from autograder.checks import Mistake
from autograder.graders.common.text import hint_for, run, short

GENERIC_HINT = ("for each line of text.split('\\n'): parts = line.split('\\t'); if there are two parts, append "
                "[t for t in f'{parts[0]} <eos>'.split(' ') if t] to src, the same for parts[1] to tgt; stop once "
                "max_examples pairs are kept. Return (src, tgt).")
SHAPE_HINT = "return two lists, (src, tgt): src[i] is the list of tokens of the i-th source sentence, tgt[i] its target."


def book_tokenize(text, max_examples=None, eos=True, eos_src=True, eos_tgt=True, drop_empty=True, extra=0,
                  swap=False, pairs=False):
    """The lesson's definition (exactly max_examples pairs); the keyword arguments make the usual mistakes."""
    src, tgt = [], []
    for line in text.split('\n'):
        if max_examples and len(src) >= max_examples + extra:
            break
        parts = line.split('\t')
        if len(parts) == 2:
            def tokens(part, with_eos):
                words = (f'{part} <eos>' if eos and with_eos else part).split(' ')
                return [t for t in words if t] if drop_empty else words
            src.append(tokens(parts[0], eos_src))
            tgt.append(tokens(parts[1], eos_tgt))
    if pairs:
        return [list(p) for p in zip(src, tgt)]
    return (tgt, src) if swap else (src, tgt)


MISTAKES = {
    "every sequence ends with the token '<eos>': append it to each source and each target sentence.":
        dict(eos=False),
    "the source sentences need '<eos>' too: each sequence, source and target, ends with it.": dict(eos_src=False),
    "the target sentences need '<eos>' too: each sequence, source and target, ends with it.": dict(eos_tgt=False),
    "drop the empty tokens that split(' ') leaves where there are two spaces in a row (or a space at an end): "
    "[t for t in ... if t].": dict(drop_empty=False),
    "keep exactly max_examples pairs: the book's `if max_examples and i > max_examples: break` keeps one more "
    "(lines 0 to max_examples).": dict(extra=1),
    "return (src, tgt) in that order: the source language (English) first.": dict(swap=True),
    "return the two lists separately, (src, tgt), not a list of (source, target) pairs.": dict(pairs=True),
}


def normalised(value):
    """(src, tgt) as lists of lists of strings, or None when it is not of that form."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None
    out = []
    for side in value:
        if not isinstance(side, (tuple, list)) or not all(
                isinstance(s, (tuple, list)) and all(isinstance(t, str) for t in s) for s in side):
            return None
        out.append([list(s) for s in side])
    return tuple(out)


def error_hint(e) -> str:
    if e.type in ("ValueError", "IndexError"):
        return ("skip lines that do not split into two parts (the empty line after the last newline, say): "
                "parts = line.split('\\t'); if len(parts) == 2: ...")
    return ""


def check(student, text, max_examples=None, what="", explicit=False):
    args = (text,) if max_examples is None and not explicit else (text, max_examples)
    call = (f"tokenize({short(text, 70)}" + (f", max_examples={max_examples}" if len(args) == 2 else "") + ")"
            + (f" ({what})" if what else ""))
    got = run(student, args, call, error_hint).value
    want = book_tokenize(text, max_examples)
    pairs = normalised(got)
    if pairs is None:
        pairs_hint = (" It looks like a list of pairs; return the two lists separately." if isinstance(got, list)
                      and got and isinstance(got[0], (tuple, list)) and len(got[0]) == 2 else "")
        raise Mistake(f"{call} returned {short(got)}, expected a pair of lists of token lists, {short(want)}."
                      + pairs_hint, SHAPE_HINT)
    if pairs == want:
        return
    hint = hint_for(pairs, {h: (lambda kw=kw: normalised(book_tokenize(text, max_examples, **kw)))
                            for h, kw in MISTAKES.items()}, GENERIC_HINT)
    for name, g, w in (("src", pairs[0], want[0]), ("tgt", pairs[1], want[1])):
        if len(g) != len(w):
            raise Mistake(f"{call}: {name} has {len(g)} sentences, expected {len(w)}: {short(w)}; got {short(g)}.",
                          hint)
        for i, (a, b) in enumerate(zip(g, w)):
            if a != b:
                raise Mistake(f"{call}: {name}[{i}] is {short(a)}, expected {short(b)}.", hint)


PREPROCESSED = ("go .\tva !\nhi .\tsalut .\nrun !\tcours !\nwho ?\tqui ?\nwow !\tça alors !\n"
                "i won !\tj'ai gagné !\nhello , tom .\tbonjour , tom .\n")


@pytest.mark.points(3.5)
def test_word_tokens_end_with_eos(student):
    check(student, "go .\tva !\nhi .\tsalut .", what="two pairs, no newline at the end")
    check(student, PREPROCESSED, what="seven pairs, a newline at the end")


@pytest.mark.points(1.5)
def test_empty_tokens_are_dropped(student):
    check(student, "i  see .\tje  vois .\n come in . \t entre . \n", what="two spaces in a row, spaces at the ends")


@pytest.mark.points(1.5)
def test_lines_without_two_parts_are_skipped(student):
    check(student, "go .\tva !\n\nhi .\tsalut .\nno tab here\n", what="an empty line, a line without a tab and "
                                                                        "the empty line after the last newline")


@pytest.mark.points(2)
def test_max_examples(student):
    check(student, PREPROCESSED, 2)
    check(student, PREPROCESSED, 1)
    check(student, PREPROCESSED, 7, what="as many as there are")
    check(student, PREPROCESSED, 50, what="more than there are")
    check(student, PREPROCESSED, None, explicit=True, what="None: all of them")


@pytest.mark.points(1.5)
def test_a_longer_text(student):
    lines = [f"sentence number {i} .\tphrase numéro {i} !" for i in range(40)]
    check(student, "\n".join(lines) + "\n", 25, what="40 pairs, the first 25 kept")
