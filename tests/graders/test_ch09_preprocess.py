"""ch09-preprocess's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-preprocess"

# book 9.2.1: TimeMachine._preprocess, as a function
BOOK_9_2_1 = """
def preprocess(text):
    return re.sub('[^A-Za-z]+', ' ', text).lower()
"""

MUTANTS = {
    "forgets to lower-case": ("""
def preprocess(text):
    return re.sub('[^A-Za-z]+', ' ', text)
""", ["test_sentences", "test_empty_and_letters_only"], ["lower-case"]),
    "strips the ends (the 1st edition's read_time_machine)": ("""
def preprocess(text):
    return re.sub('[^A-Za-z]+', ' ', text).strip().lower()
""", ["test_the_ends_are_kept", "test_sentences"], ["stripped"]),
    "one space per character, runs not collapsed": ("""
def preprocess(text):
    return re.sub('[^A-Za-z]', ' ', text).lower()
""", ["test_runs_of_non_letters", "test_sentences"], ["ONE space", "+"]),
    "deletes the non-letters": ("""
def preprocess(text):
    return re.sub('[^A-Za-z]+', '', text).lower()
""", ["test_sentences", "test_runs_of_non_letters"], ["deleted"]),
    "\\\\W keeps digits and underscores": ("""
def preprocess(text):
    return re.sub(r'\\W+', ' ', text).lower()
""", ["test_digits_underscores"], ["digits and the underscore"]),
    "[^a-z] before lower-casing": ("""
def preprocess(text):
    return re.sub('[^a-z]+', ' ', text).lower()
""", ["test_sentences", "test_empty_and_letters_only"], ["before lower-casing"]),
    "str.isalpha keeps accented letters": ("""
def preprocess(text):
    out = ''.join(c.lower() if c.isalpha() else ' ' for c in text)
    return re.sub(' +', ' ', out)
""", ["test_digits_underscores"], ["isalpha"]),
    "keeps the existing spaces": ("""
def preprocess(text):
    return re.sub('[^A-Za-z ]+', ' ', text).lower()
""", ["test_sentences", "test_runs_of_non_letters"], ["spaces included"]),
    "splits and re-joins the words": ("""
def preprocess(text):
    return ' '.join(re.findall('[a-z]+', text.lower()))
""", ["test_the_ends_are_kept"], ["splitting into words"]),
    "returns a list of words": ("""
def preprocess(text):
    return re.sub('[^A-Za-z]+', ' ', text).lower().split()
""", ["test_sentences"], ["one string"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_9_2_1)


def test_lower_case_first_gets_full_marks():
    assert_full_marks(EX, """
def preprocess(text):
    return re.sub(r'[^a-z]+', ' ', text.lower())
""")


def test_a_loop_over_the_characters_gets_full_marks():
    assert_full_marks(EX, """
import string

def preprocess(text):
    out, in_run = [], False
    for c in text:
        if c in string.ascii_letters:
            out.append(c.lower())
            in_run = False
        elif not in_run:
            out.append(' ')
            in_run = True
    return ''.join(out)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
