"""ch09-tokenize's grader: reference full marks, stub zero, the book's listings, mistakes lose points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch09-tokenize"

# book 9.2.2 (1st edition, d2l 0.17): tokenize(lines, token='word') for a list of lines, as a function of one text
BOOK_1ST_ED = """
def tokenize(text, token='word'):
    if token == 'word':
        return text.split()
    elif token == 'char':
        return list(text)
    else:
        print('ERROR: unknown token type: ' + token)
"""

MUTANTS = {
    "split(' ') keeps empty strings": ("""
def tokenize(text, token='word'):
    if token == 'word':
        return text.split(' ')
    if token == 'char':
        return list(text)
    raise ValueError(token)
""", ["test_word_tokens", "test_words_by_default"], ["split(' ')"]),
    "characters without the spaces": ("""
def tokenize(text, token='word'):
    if token == 'word':
        return text.split()
    if token == 'char':
        return [c for c in text if c != ' ']
    raise ValueError(token)
""", ["test_character_tokens"], ["keep the spaces"]),
    "distinct characters (a set)": ("""
def tokenize(text, token='word'):
    if token == 'word':
        return text.split()
    if token == 'char':
        return sorted(set(text))
    raise ValueError(token)
""", ["test_character_tokens"], ["once"]),
    "characters by default": ("""
def tokenize(text, token='char'):
    if token == 'word':
        return text.split()
    if token == 'char':
        return list(text)
    raise ValueError(token)
""", ["test_words_by_default"], ["words"]),
    "the book's 1st edition prints and returns None": (BOOK_1ST_ED, ["test_unknown_token_type_raises"],
                                                       ["should raise"]),
    "returns tuples": ("""
def tokenize(text, token='word'):
    if token == 'word':
        return tuple(text.split())
    if token == 'char':
        return tuple(text)
    raise ValueError(token)
""", ["test_returns_lists"], ["expected a list"]),
    "words and characters swapped": ("""
def tokenize(text, token='word'):
    if token == 'char':
        return text.split()
    if token == 'word':
        return list(text)
    raise ValueError(token)
""", ["test_word_tokens", "test_character_tokens"], ["asks for words"]),
}


def test_book_1st_edition_loses_only_the_unknown_type():
    report = grade_code(EX, BOOK_1ST_ED)
    assert list(failed(report)) == ["test_unknown_token_type_raises"], report.summary()


def test_book_2nd_edition_chars_with_a_word_branch_gets_full_marks():
    # book 9.2.2 (2nd edition): TimeMachine._tokenize(self, text) is list(text); with the lesson's word branch
    assert_full_marks(EX, """
def tokenize(text, token='word'):
    if token == 'char':
        return list(text)
    elif token == 'word':
        return text.split()
    raise ValueError(f'unknown token type: {token}')
""")


def test_regex_words_and_comprehension_chars_get_full_marks():
    assert_full_marks(EX, """
def tokenize(text, token='word'):
    if token not in ('word', 'char'):
        raise ValueError('token must be word or char')
    return re.findall(r'\\S+', text) if token == 'word' else [c for c in text]
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
