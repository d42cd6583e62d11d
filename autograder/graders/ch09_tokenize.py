"""Grader for ch09-tokenize: `tokenize(text, token='word')` splits preprocessed text into word tokens
(`text.split()`) or character tokens (`list(text)`), and refuses other token types (book 9.2.2; the 2nd
edition's `TimeMachine._tokenize` gives characters, the 1st edition's `tokenize` either). Truth: the two
built-ins, run here."""
import pytest

from autograder.checks import Mistake
from autograder.graders.common.sequences import kind, quote, raises, run

WORD_RULE = "word tokens are text.split(): the words between runs of whitespace, no empty strings."
CHAR_RULE = "character tokens are list(text): every character in order, spaces included."

# preprocessed text, as preprocess() makes it: lower case, single spaces, a space at either end possible
TEXTS = [" the time machine by h g wells ",
         "the time traveller for so it will be convenient to speak of him was expounding",
         "i  said"]   # two spaces in a row: not from preprocess, but text.split() handles it


def word_hint(text, got) -> str:
    if not isinstance(got, (list, tuple)):
        return "return a list of tokens."
    got = list(got)
    if got == text.split(" "):
        return ("text.split(' ') keeps an empty string for a space at either end and between two spaces; "
                "text.split() with no argument drops them.")
    if got == list(text):
        return "token='word' asks for words (text.split()); you returned characters."
    if len(got) == 1:
        return "you returned the whole text as one token: split it into words (text.split())."
    return WORD_RULE


def char_hint(text, got) -> str:
    if not isinstance(got, (list, tuple)):
        return "return a list of tokens."
    got = list(got)
    if got == [c for c in text if c != " "]:
        return "keep the spaces: they are characters too, and a character model must learn where words end."
    if got == text.split():
        return "token='char' asks for characters (list(text)); you returned words."
    if sorted(got) == sorted(set(text)) and len(got) != len(text):
        return "you returned each distinct character once (a set); return every character, in order: list(text)."
    return CHAR_RULE


def check(student, text, token, call=None, must_be_list=False):
    call = call or f"tokenize({quote(text)}, {token!r})"
    args = (text,) if token is None else (text, token)
    got = run(student, call, *args)
    want = text.split() if token in (None, "word") else list(text)
    if isinstance(got, (list, tuple)) and list(got) == want:
        if must_be_list and not isinstance(got, list):
            raise Mistake(f"{call} returned a {type(got).__name__}, expected a list.",
                          "return a list (text.split() and list(text) both give one): Vocab tells a list of lines "
                          "of tokens from a list of tokens by isinstance(tokens[0], list).")
        return
    hint = char_hint(text, got) if token == "char" else word_hint(text, got)
    raise Mistake(f"{call} returned {kind(got)}, expected {quote(want)}.", hint)


@pytest.mark.points(3)
def test_word_tokens(student):
    for text in TEXTS:
        check(student, text, "word")


@pytest.mark.points(3)
def test_character_tokens(student):
    for text in TEXTS:
        check(student, text, "char")


@pytest.mark.points(1)
def test_words_by_default(student):
    check(student, TEXTS[0], None, call=f"tokenize({quote(TEXTS[0])}) (token left at its default)")


@pytest.mark.points(1)
def test_empty_text(student):
    check(student, "", "word")
    check(student, "", "char")
    check(student, "   ", "word")


@pytest.mark.points(1)
def test_returns_lists(student):
    check(student, "it was a dream", "word", must_be_list=True)
    check(student, "a dream", "char", must_be_list=True)


@pytest.mark.points(1)
def test_unknown_token_type_raises(student):
    check(student, "a b", "word")  # raising on everything earns nothing
    for token in ("sentence", "Word"):
        if not raises(student, "a b", token):
            got = student.run("a b", token).value
            raise Mistake(f"tokenize('a b', {token!r}) returned {kind(got)}; an unknown token type should raise an "
                          "error.", "end with raise ValueError(f'unknown token type: {token}') after the 'word' "
                                    "and 'char' cases (the 1st edition prints a message and returns None, which "
                                    "only fails later, somewhere else).")
