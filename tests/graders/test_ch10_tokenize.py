"""ch10-tokenize's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, assert_mutant_caught, standard_proofs

EX = "ch10-tokenize"

# the book's listing (10.5.2), a method of MTFraEng there, as a function
BOOK = """
def tokenize(text, max_examples=None):
    src, tgt = [], []
    for i, line in enumerate(text.split('\\n')):
        if max_examples and i > max_examples: break
        parts = line.split('\\t')
        if len(parts) == 2:
            # Skip empty tokens
            src.append([t for t in f'{parts[0]} <eos>'.split(' ') if t])
            tgt.append([t for t in f'{parts[1]} <eos>'.split(' ') if t])
    return src, tgt
"""

# correct alternatives: split() on any whitespace; pairs collected then unzipped
SPLIT = """
def tokenize(text, max_examples=None):
    src, tgt = [], []
    for line in text.split('\\n'):
        parts = line.split('\\t')
        if len(parts) != 2:
            continue
        if max_examples is not None and len(src) == max_examples:
            break
        src.append(parts[0].split() + ['<eos>'])
        tgt.append(parts[1].split() + ['<eos>'])
    return src, tgt
"""

UNZIP = """
def tokenize(text, max_examples=None):
    pairs = [line.split('\\t') for line in text.splitlines() if line.count('\\t') == 1]
    pairs = pairs[:max_examples] if max_examples else pairs
    words = lambda s: [w for w in s.split(' ') if w] + ['<eos>']
    return [words(en) for en, fr in pairs], [words(fr) for en, fr in pairs]
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


EXACT = variant(("if max_examples and i > max_examples: break", "if max_examples and i >= max_examples: break"))

MUTANTS = {
    "the book's off-by-one max_examples": (BOOK, ["test_max_examples", "test_a_longer_text"],
                                            ["exactly max_examples", "keeps one more"]),
    "no <eos>": (variant(("f'{parts[0]} <eos>'", "parts[0]"), ("f'{parts[1]} <eos>'", "parts[1]"), code=EXACT),
                 ["test_word_tokens", "test_empty_tokens", "test_max_examples"], ["'<eos>'"]),
    "<eos> only on the target": (variant(("f'{parts[0]} <eos>'", "parts[0]"), code=EXACT),
                                 ["test_word_tokens"], ["source sentences need '<eos>'"]),
    "empty tokens kept": (variant(("[t for t in f'{parts[0]} <eos>'.split(' ') if t]",
                                   "f'{parts[0]} <eos>'.split(' ')"),
                                  ("[t for t in f'{parts[1]} <eos>'.split(' ') if t]",
                                   "f'{parts[1]} <eos>'.split(' ')"), code=EXACT),
                          ["test_empty_tokens"], ["empty tokens"]),
    "source and target swapped": (variant(("return src, tgt", "return tgt, src"), code=EXACT),
                                  ["test_word_tokens", "test_max_examples"], ["(src, tgt) in that order"]),
    "lines without a tab not skipped": ("""
def tokenize(text, max_examples=None):
    src, tgt = [], []
    for line in text.strip('\\n').split('\\n')[:max_examples]:
        en, fr = line.split('\\t')
        src.append([t for t in f'{en} <eos>'.split(' ') if t])
        tgt.append([t for t in f'{fr} <eos>'.split(' ') if t])
    return src, tgt
""", ["test_lines_without"], ["skip lines that do not split into two parts"]),
    "returns a list of pairs": ("""
def tokenize(text, max_examples=None):
    pairs = []
    for line in text.split('\\n'):
        parts = line.split('\\t')
        if len(parts) == 2 and not (max_examples and len(pairs) >= max_examples):
            pairs.append(([t for t in f'{parts[0]} <eos>'.split(' ') if t],
                          [t for t in f'{parts[1]} <eos>'.split(' ') if t]))
    return pairs
""", ["test_word_tokens", "test_lines_without", "test_a_longer_text"], ["list of", "pairs"]),
}


def test_exact_max_examples_version_of_the_book_gets_full_marks():
    assert_full_marks(EX, EXACT)


def test_book_listing_loses_only_the_max_examples_points():
    report = assert_mutant_caught(EX, BOOK, ["test_max_examples", "test_a_longer_text"], ["keeps one more"])
    assert report.score == report.max_score - 3.5, report.summary()


def test_split_on_whitespace_gets_full_marks():
    assert_full_marks(EX, SPLIT)


def test_pairs_unzipped_get_full_marks():
    assert_full_marks(EX, UNZIP)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
