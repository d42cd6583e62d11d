"""Grader for ch09-preprocess: `preprocess(text)` lower-cases the text and turns every run of characters that are
not ASCII letters into one space (book 9.2.1, `TimeMachine._preprocess`). Truth: the book's regular expression,
run here."""
import re

import pytest

from autograder.checks import Mistake
from autograder.graders.common.sequences import kind, quote, run

RULE = ("preprocess(text) is re.sub('[^A-Za-z]+', ' ', text).lower(): every run of characters that are not the "
        "letters A-Z or a-z becomes ONE space, and the result is lower case.")


def truth(text: str) -> str:
    return re.sub("[^A-Za-z]+", " ", text).lower()


# the usual wrong answers, each with the hint that names it (checked in this order)
MISTAKES = [
    ("you did not lower-case the result: add .lower().", lambda t: re.sub("[^A-Za-z]+", " ", t)),
    ("you stripped the ends (with .strip(), or by splitting into words and joining them again). The book keeps "
     "them: text that starts or ends with non-letters starts or ends with one space.", lambda t: truth(t).strip()),
    ("each non-letter became its own space; a whole run of them must become ONE space: add + to the pattern "
     "('[^A-Za-z]+').", lambda t: re.sub("[^A-Za-z]", " ", t).lower()),
    ("you deleted the non-letters; replace each run of them by one space (' '), or words run together.",
     lambda t: re.sub("[^A-Za-z]+", "", t).lower()),
    ("letters such as é or ï are not A-Z: str.isalpha() (and \\w) accept them, the book's '[^A-Za-z]+' turns "
     "them into spaces.", lambda t: re.sub(" +", " ", "".join(c.lower() if c.isalpha() else " " for c in t))),
    ("\\W keeps digits and the underscore (they count as 'word' characters): keep only A-Z and a-z with "
     "'[^A-Za-z]+'.", lambda t: re.sub(r"\W+", " ", t).lower()),
    ("capital letters became spaces: the pattern '[^a-z]+' ran before lower-casing. Lower-case first, or use "
     "'[^A-Za-z]+'.", lambda t: re.sub("[^a-z]+", " ", t).lower()),
    ("you kept the spaces that were already there, so a space next to other non-letters makes two spaces: "
     "replace every run of non-letters, spaces included, by one space.",
     lambda t: re.sub("[^A-Za-z ]+", " ", t).lower()),
]


def diagnose(text: str, got) -> str:
    if not isinstance(got, str):
        return "return the cleaned text as one string (str), not a list of words or characters."
    for hint, wrong in MISTAKES:
        if got == wrong(text) != truth(text):
            return hint
    return RULE


def check(student, text: str, why: str = ""):
    call = f"preprocess({quote(text)})"
    got = run(student, call, text)
    want = truth(text)
    if got != want:
        where = ""
        if isinstance(got, str):
            i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            where = f" They first differ at character {i}."
        raise Mistake(f"{call} returned {kind(got)}, expected {quote(want)}.{where}{why}", diagnose(text, got))


@pytest.mark.points(3)
def test_sentences(student):
    for text in ["The Time Machine, by H. G. Wells [1898]",
                 "I said, 'It is the Time Traveller!' And he laughed.",
                 "Filby became pensive. 'Clearly,' the Time Traveller proceeded, 'any real body must have extension'"]:
        check(student, text)


@pytest.mark.points(2)
def test_runs_of_non_letters_become_one_space(student):
    for text in ["one--two   three\n\nfour", "end.\n\n\nThe next chapter: II.", "a , b ;; c"]:
        check(student, text, " A run of non-letters, however long and whatever it holds, becomes one space.")


@pytest.mark.points(1)
def test_the_ends_are_kept(student):
    for text in ["  Hello, World!  ", "\"Quoted.\"", "...and so on"]:
        check(student, text, " Non-letters at the start or end become one space too; nothing is stripped.")


@pytest.mark.points(1.5)
def test_digits_underscores_and_accented_letters(student):
    for text in ["Chapter 12: the year 802_701", "Café au lait, naïve Zoë", "x_1 + y_2 = 3"]:
        check(student, text, " Only the 52 ASCII letters stay; digits, '_' and letters such as é become spaces.")


@pytest.mark.points(1)
def test_empty_and_letters_only(student):
    check(student, "")
    check(student, "ABCdef")
    check(student, "!!!")


@pytest.mark.points(1.5)
def test_a_page_of_text(student):
    words = ["The", "Time", "Traveller", "(for so it will be convenient to speak of him)", "was", "expounding",
             "a", "recondite", "matter", "to", "us.", "His", "grey", "eyes", "shone", "and", "twinkled,", "and",
             "his", "usually", "pale", "face", "was", "flushed", "and", "animated.", "\n\n", "--", "I", "said;"]
    text = " ".join(words[(7 * i) % len(words)] for i in range(400))
    check(student, text)
