"""Grader for ch10-preprocess: the book's `MTFraEng._preprocess(text)` as a function (book 10.5.1).

The book's definition, exactly: replace the narrow no-break space U+202F and the no-break space U+00A0 by ordinary
spaces, lower-case the text, and put a space before each of `,` `.` `!` `?` that does not already follow a space
(the character before it in the text, after the replacement). Everything else stays as it is: tabs and newlines
(they separate the pairs), apostrophes, accents, digits. The truth is `book_preprocess`, the book's listing;
tests/graders/test_ch10_preprocess.py checks it against an independent formulation with a regular expression.
Strings cross the sandbox as plain data.
"""
import pytest

from autograder.graders.common.text import expect_string, hint_for, run

PUNCTUATION = ",.!?"
GENERIC_HINT = ("three steps, in this order: text.replace('\\u202f', ' ').replace('\\xa0', ' '); lower-case; then "
                "for every character c in ',.!?' at position i > 0 whose previous character is not a space, put a "
                "space before c. Keep every other character (tabs and newlines too).")


def book_preprocess(text):
    """The book's listing (10.5.1)."""
    text = text.replace('\u202f', ' ').replace('\xa0', ' ')
    no_space = lambda char, prev_char: char in ',.!?' and prev_char != ' '  # noqa: E731
    out = [' ' + char if i > 0 and no_space(char, text[i - 1]) else char
           for i, char in enumerate(text.lower())]
    return ''.join(out)


def _spaced(text, marks=PUNCTUATION, after=False, always=False):
    out = []
    for i, c in enumerate(text):
        if c in marks and i > 0 and (always or text[i - 1] != " "):
            out.append(c + " " if after else " " + c)
        else:
            out.append(c)
    return "".join(out)


MISTAKES = {
    "no lower": ("lower-case the text: text.lower() (the vocabulary would otherwise hold 'Go' and 'go' as two "
                 "words).", lambda t: _spaced(t.replace("\u202f", " ").replace("\xa0", " "))),
    "only U+202F": ("replace both no-break spaces by a space: the narrow one '\\u202f' and the ordinary "
                    "no-break space '\\xa0'.", lambda t: _spaced(t.replace("\u202f", " ").lower())),
    "only U+00A0": ("replace both no-break spaces by a space: the narrow one '\\u202f' (French puts it before ! "
                    "and ?) and '\\xa0'.", lambda t: _spaced(t.replace("\xa0", " ").lower())),
    "no-break spaces removed": ("replace each no-break space by a space, ' ', not by nothing: a no-break space "
                                "also separates words ('100\\xa0km' is two words).",
                                lambda t: _spaced(t.replace("\u202f", "").replace("\xa0", "").lower())),
    "replaced after spacing": ("replace the no-break spaces first: otherwise '!' after '\\u202f' gets a second "
                               "space ('va  !').",
                               lambda t: _spaced(t.lower()).replace("\u202f", " ").replace("\xa0", " ")),
    "upper case": ("lower-case the text with text.lower() (not upper()).", lambda t: book_preprocess(t).upper()),
    "always a space": ("add a space only where there is none: a mark already after a space ('attends !') keeps "
                       "its single space.",
                       lambda t: _spaced(t.replace("\u202f", " ").replace("\xa0", " ").lower(), always=True)),
    "space after": ("the space goes before the punctuation mark ('go .'), not after it.",
                    lambda t: _spaced(t.replace("\u202f", " ").replace("\xa0", " ").lower(), after=True)),
    "missing comma": ("all four marks get a space before them: ',', '.', '!' and '?'.",
                      lambda t: _spaced(t.replace("\u202f", " ").replace("\xa0", " ").lower(), ".!?")),
    "whitespace normalised": ("keep tabs and newlines: they separate English from French and one pair from the "
                              "next. Do not split and re-join the text on whitespace.",
                              lambda t: " ".join(book_preprocess(t).split())),
}


def diagnose(text, got) -> str:
    """Every known mistake that gives `got` on this input (two can coincide on a short text), else the recipe."""
    hints = [hint for hint, f in MISTAKES.values() if hint_for(got, {hint: lambda f=f: f(text)})]
    return " Or: ".join(hints) or GENERIC_HINT


def check(student, text, what=""):
    call = f"preprocess({text!r})" + (f" ({what})" if what else "")
    got = run(student, (text,), call).value
    expect_string(got, book_preprocess(text), call, lambda: diagnose(text, got))


# pairs as in the book's fra.txt: English<TAB>French, French with U+202F before ! and ?
SAMPLE = ("Go.\tVa\u202f!\nHi.\tSalut.\nRun!\tCours\u202f!\nWho?\tQui\u202f?\nWow!\tÇa alors\u202f!\n"
          "I won!\tJ'ai gagné\u202f!\nHello, Tom.\tBonjour, Tom.\nHelp!\tÀ l'aide\u202f!\n")


@pytest.mark.points(3)
def test_lower_case_and_a_space_before_punctuation(student):
    for text in ["Go.", "Hi, Tom.", "Who?", "Run!", "I am Tom, you are Ann.", "HELLO World"]:
        check(student, text)


@pytest.mark.points(2)
def test_no_break_spaces_become_spaces(student):
    for text in ["Va\u202f!", "Cours\xa0!", "Qui\u202f?", "Il fait 100\xa0km.", "Attends\u202fmoi\xa0!"]:
        check(student, text)


@pytest.mark.points(1.5)
def test_a_space_already_there_is_kept_single(student):
    for text in ["Attends !", "Oui , non .", "Go .", "Wait ! Stop !"]:
        check(student, text)


@pytest.mark.points(1)
def test_consecutive_marks(student):
    for text in ["What?!", "Wait...", "No!!", "Hm,.?"]:
        check(student, text)


@pytest.mark.points(1)
def test_tabs_and_newlines_are_kept(student):
    check(student, "Go.\tVa\u202f!\nHi.\tSalut.\n", "two pairs, each English<TAB>French, each line ending in \\n")


@pytest.mark.points(1.5)
def test_pairs_like_the_books_file(student):
    check(student, SAMPLE, "eight pairs like the first lines of the book's fra.txt")
