"""ch09-Vocab's grader: reference full marks, stub zero, the book's two listings, mistakes lose points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch09-Vocab"

# book 9.2.3, 1st edition (d2l 0.17): indices by frequency, '<unk>' at 0
BOOK_1ST_ED = """
def count_corpus(tokens):
    # Here `tokens` is a 1D list or 2D list
    if len(tokens) == 0 or isinstance(tokens[0], list):
        # Flatten a list of token lists into a list of tokens
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


class Vocab:
    def __init__(self, tokens=None, min_freq=0, reserved_tokens=None):
        if tokens is None:
            tokens = []
        if reserved_tokens is None:
            reserved_tokens = []
        # Sort according to frequencies
        counter = count_corpus(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                   reverse=True)
        # The index for the unknown token is 0
        self.idx_to_token = ['<unk>'] + reserved_tokens
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]

    @property
    def unk(self):  # Index for the unknown token
        return 0

    @property
    def token_freqs(self):
        return self._token_freqs
"""

# book 9.2.3, 2nd edition: idx_to_token sorted alphabetically; to_tokens of a one-element list fails
BOOK_2ND_ED = """
class Vocab:
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        # Flatten a 2D list if needed
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        # Count token frequencies
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                  reverse=True)
        # The list of unique tokens
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, '__len__') and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):  # Index for the unknown token
        return self.token_to_idx['<unk>']
"""


def variant(old, new, source=BOOK_1ST_ED):
    assert source.count(old) == 1, old
    return source.replace(old, new)


MUTANTS = {
    "least frequent first": (variant("key=lambda x: x[1],\n                                   reverse=True)",
                                     "key=lambda x: x[1])"),
                             ["test_indices_by_frequency", "test_token_freqs"], ["reverse=True"]),
    "min_freq kept only above it": (variant("if freq < min_freq:", "if freq <= min_freq:"),
                                    ["test_min_freq_and_reserved_tokens"], ["at least min_freq"]),
    "KeyError for an unknown token": (variant("return self.token_to_idx.get(tokens, self.unk)",
                                              "return self.token_to_idx[tokens]"),
                                      ["test_unknown_tokens_map_to_unk"], ["KeyError", "get(token, self.unk)"]),
    "list search for every token": (variant("return self.token_to_idx.get(tokens, self.unk)",
                                            "return self.idx_to_token.index(tokens) if tokens in self.idx_to_token "
                                            "else self.unk"),
                                    ["test_lookup_speed"], ["reference solution", "dictionary"]),
    "appends to the shared default list": ("""
class Vocab:
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        self.token_freqs = sorted(collections.Counter(tokens).items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = reserved_tokens
        self.idx_to_token.insert(0, '<unk>')
        for token, freq in self.token_freqs:
            if freq >= min_freq and token not in self.idx_to_token:
                self.idx_to_token.append(token)
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self[token] for token in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]

    @property
    def unk(self):
        return 0
""", ["test_defaults_and_empty_vocabulary"], ["shared by every call"]),
    "unk a method, not a property": (variant("    @property\n    def unk(self):", "    def unk(self):"),
                                     ["test_unknown_tokens_map_to_unk"], ["property"]),
    "a reserved token indexed twice": (variant("if token not in self.token_to_idx:", "if True:"),
                                       ["test_min_freq_and_reserved_tokens"], ["second index"]),
    "lines of tokens not flattened": (variant("if len(tokens) == 0 or isinstance(tokens[0], list):", "if False:"),
                                      ["test_lines_of_tokens_are_flattened"], []),
    "ties broken alphabetically": (variant("key=lambda x: x[1],\n                                   reverse=True)",
                                           "key=lambda x: (-x[1], x[0]))"),
                                   ["test_ties_keep_first_appearance"], ["first appear"]),
    "to_tokens of a list not handled": (variant("""        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]""", """        return self.idx_to_token[indices]"""),
                                        ["test_to_tokens", "test_min_freq"], ["list of indices"]),
    "<unk> added last": (variant("self.idx_to_token = ['<unk>'] + reserved_tokens",
                                 "self.idx_to_token = list(reserved_tokens)").replace(
        "    def __len__(self):", "        self.idx_to_token.append('<unk>')\n        self.token_to_idx['<unk>'] = "
                                 "len(self.idx_to_token) - 1\n\n    def __len__(self):", 1),
                         ["test_indices_by_frequency", "test_to_tokens"], ["index 0"]),
}


def test_book_1st_edition_gets_full_marks():
    assert_full_marks(EX, BOOK_1ST_ED)


def test_book_2nd_edition_loses_the_order_and_one_element_lists():
    """The 2nd edition's alphabetical order is a different convention (the lesson follows the 1st edition), and its
    to_tokens([i]) indexes the list with a list."""
    report = grade_code(EX, BOOK_2ND_ED)
    lost = failed(report)
    assert set(lost) == {"test_indices_by_frequency", "test_to_tokens", "test_ties_keep_first_appearance",
                         "test_min_freq_and_reserved_tokens", "test_lines_of_tokens_are_flattened"}, report.summary()
    assert "one index gives a list of one token" in lost["test_to_tokens"]
    assert "2nd edition" in lost["test_indices_by_frequency"]


def test_defaultdict_counts_and_most_common_get_full_marks():
    assert_full_marks(EX, """
class Vocab:
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        flat = [t for line in tokens for t in line] if tokens and isinstance(tokens[0], list) else tokens
        self.token_freqs = collections.Counter(flat).most_common()
        self.idx_to_token = ['<unk>'] + [t for t in reserved_tokens]
        self.idx_to_token += [t for t, f in self.token_freqs if f >= min_freq and t not in reserved_tokens]
        self.token_to_idx = dict(zip(self.idx_to_token, range(len(self.idx_to_token))))

    def __len__(self):
        return len(self.token_to_idx)

    def __getitem__(self, tokens):
        if isinstance(tokens, (list, tuple)):
            return [self.token_to_idx.get(t, 0) for t in tokens]
        return self.token_to_idx.get(tokens, 0)

    def to_tokens(self, indices):
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[i] for i in indices]
        return self.idx_to_token[indices]

    unk = property(lambda self: 0)
""")


def test_hand_counted_with_an_explicit_tie_order_and_a_class_attribute_unk_gets_full_marks():
    assert_full_marks(EX, """
class Vocab:
    unk = 0

    def __init__(self, tokens=None, min_freq=0, reserved_tokens=None):
        flat = []
        for item in tokens or []:
            if isinstance(item, list):
                flat.extend(item)
            else:
                flat.append(item)
        counts, first = {}, {}
        for i, token in enumerate(flat):
            counts[token] = counts.get(token, 0) + 1
            first.setdefault(token, i)
        self.token_freqs = sorted(counts.items(), key=lambda tf: (-tf[1], first[tf[0]]))
        self.idx_to_token, self.token_to_idx = [], {}
        for token in ['<unk>', *(reserved_tokens or []), *(t for t, f in self.token_freqs if f >= min_freq)]:
            if token not in self.token_to_idx:
                self.token_to_idx[token] = len(self.idx_to_token)
                self.idx_to_token.append(token)

    def __len__(self):
        return len(self.token_to_idx)

    def __getitem__(self, tokens):
        if isinstance(tokens, (list, tuple)):
            return [self[t] for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(i) for i in indices]
        return self.idx_to_token[indices]
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
