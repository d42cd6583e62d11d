"""ch10-preprocess's grader: reference full marks, stub zero, every classic mistake loses points."""
import re

from autograder.graders import ch10_preprocess as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-preprocess"

# the book's listing (10.5.1), a method of MTFraEng there, as a function
BOOK = """
def preprocess(text):
    # Replace non-breaking space with space
    text = text.replace('\\u202f', ' ').replace('\\xa0', ' ')
    # Insert space between words and punctuation marks
    no_space = lambda char, prev_char: char in ',.!?' and prev_char != ' '
    out = [' ' + char if i > 0 and no_space(char, text[i - 1]) else char
           for i, char in enumerate(text.lower())]
    return ''.join(out)
"""

# correct alternatives: a regular expression; a plain loop that builds the string
REGEX = """
import re
def preprocess(text):
    text = re.sub('[\\u202f\\xa0]', ' ', text).lower()
    return re.sub(r'(?<=[^ ])([,.!?])', r' \\1', text)
"""

LOOP = """
def preprocess(text):
    text = text.lower()
    for nbsp in ('\\u202f', '\\xa0'):
        text = text.replace(nbsp, ' ')
    result = ''
    for i, c in enumerate(text):
        if i and c in ',.!?' and text[i - 1] != ' ':
            result += ' '
        result += c
    return result
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "forgets to lower-case": (variant(("enumerate(text.lower())", "enumerate(text)")),
                              ["test_lower_case", "test_pairs_like"], ["lower-case the text"]),
    "replaces only U+202F": (variant((".replace('\\xa0', ' ')", "")),
                             ["test_no_break_spaces"], ["'\\xa0'"]),
    "deletes the no-break spaces": (variant(("replace('\\u202f', ' ').replace('\\xa0', ' ')",
                                             "replace('\\u202f', '').replace('\\xa0', '')")),
                                    ["test_no_break_spaces"], ["not by nothing"]),
    "adds a space even after a space": (variant(("and prev_char != ' '", "")),
                                        ["test_a_space_already_there", "test_no_break_spaces"],
                                        ["only where there is none", "replace the no-break spaces first"]),
    "puts the space after the mark": (variant(("' ' + char if", "char + ' ' if")),
                                      ["test_lower_case", "test_consecutive", "test_pairs_like"], ["not after it"]),
    "forgets the comma": (variant(("char in ',.!?'", "char in '.!?'")), ["test_lower_case", "test_pairs_like"],
                          ["','"]),
    "normalises all whitespace": (variant(("return ''.join(out)", "return ' '.join(''.join(out).split())")),
                                  ["test_tabs_and_newlines", "test_pairs_like"], ["keep tabs and newlines"]),
    "replaces the no-break spaces last": ("""
def preprocess(text):
    text = text.lower()
    out = ''.join(' ' + c if i > 0 and c in ',.!?' and text[i - 1] != ' ' else c for i, c in enumerate(text))
    return out.replace('\\u202f', ' ').replace('\\xa0', ' ')
""", ["test_no_break_spaces", "test_pairs_like"], ["replace the no-break spaces first"]),
    "upper case instead of lower": (variant(("enumerate(text.lower())", "enumerate(text.upper())")),
                                    ["test_lower_case"], ["not upper()"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_regular_expression_gets_full_marks():
    assert_full_marks(EX, REGEX)


def test_loop_building_a_string_gets_full_marks():
    assert_full_marks(EX, LOOP)


def test_truth_agrees_with_an_independent_regular_expression():
    texts = [grader.SAMPLE, "What?!", "Wait...", "Hm,.?", "Attends !", "Il fait 100\xa0km.", "A,b c ,d"]
    for text in texts:
        plain = re.sub("[\u202f\xa0]", " ", text).lower()
        assert grader.book_preprocess(text) == re.sub(r"(?<=[^ ])([,.!?])", r" \1", plain), text


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
