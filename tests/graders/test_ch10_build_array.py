"""ch10-build_array's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch10-build_array"

# the book's _build_array (10.5.3) without the vocabulary step, as the lesson asks: pad_or_trim, <bos>, valid lengths
BOOK = """
def build_array(sentences, num_steps, is_tgt=False):
    pad_or_trim = lambda seq, t: (
        seq[:t] if len(seq) > t else seq + ['<pad>'] * (t - len(seq)))
    sentences = [pad_or_trim(s, num_steps) for s in sentences]
    if is_tgt:
        sentences = [['<bos>'] + s for s in sentences]
    valid_len = torch.tensor([sum(token != '<pad>' for token in s) for s in sentences])
    return sentences, valid_len
"""

# correct alternatives: valid lengths from a boolean array summed as the book does; a loop over copies
MASK = """
def build_array(sentences, num_steps, is_tgt=False):
    out = []
    for s in sentences:
        s = list(s[:num_steps])
        s.extend(['<pad>'] * (num_steps - len(s)))
        out.append(['<bos>'] + s if is_tgt else s)
    mask = torch.tensor([[tok != '<pad>' for tok in s] for s in out], dtype=torch.int32)
    return out, mask.sum(1)
"""

LIST_LEN = """
def build_array(sentences, num_steps, is_tgt=False):
    padded = [(['<bos>'] if is_tgt else []) + s[:num_steps] + ['<pad>'] * max(0, num_steps - len(s))
              for s in sentences]
    return padded, torch.tensor([min(len(s), num_steps) + int(is_tgt) for s in sentences], dtype=torch.int64)
"""


def variant(*replacements, code=BOOK):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "pads in front": (variant(("seq + ['<pad>'] * (t - len(seq))", "['<pad>'] * (t - len(seq)) + seq")),
                      ["test_short_sentences", "test_targets"], ["pad at the end"]),
    "keeps the last tokens": (variant(("seq[:t] if len(seq) > t", "seq[-t:] if len(seq) > t")),
                              ["test_long_sentences"], ["first num_steps tokens"]),
    "<bos> added before padding": (variant(("    sentences = [pad_or_trim(s, num_steps) for s in sentences]\n"
                                            "    if is_tgt:\n        sentences = [['<bos>'] + s for s in sentences]\n",
                                            "    if is_tgt:\n        sentences = [['<bos>'] + s for s in sentences]\n"
                                            "    sentences = [pad_or_trim(s, num_steps) for s in sentences]\n")),
                                   ["test_targets"], ["pad or trim first"]),
    "valid length counts the padding": (variant(("sum(token != '<pad>' for token in s)", "len(s)")),
                                        ["test_short_sentences", "test_targets"], ["not the padded length"]),
    "valid length before trimming": (variant(("valid_len = torch.tensor([sum(token != '<pad>' for token in s) "
                                              "for s in sentences])", "valid_len = torch.tensor([len(s) + is_tgt "
                                                                      "for s in original])"),
                                             ("    pad_or_trim", "    original = sentences\n    pad_or_trim")),
                                     ["test_long_sentences", "test_targets"], ["original length"]),
    "<bos> not counted": (variant(("token != '<pad>' for token", "token not in ('<pad>', '<bos>') for token")),
                          ["test_targets"], ["'<bos>' included"]),
    "pads the caller's lists in place": (variant(("seq[:t] if len(seq) > t else seq + ['<pad>'] * (t - len(seq)))",
                                                  "seq[:t] if len(seq) > t else seq.__iadd__(['<pad>'] * "
                                                  "(t - len(seq))))")),
                                         ["test_callers_lists"], ["in place"]),
    "valid lengths as floats": (variant(("torch.tensor([sum(token != '<pad>' for token in s) for s in sentences])",
                                         "torch.tensor([float(sum(token != '<pad>' for token in s)) "
                                         "for s in sentences])")),
                                ["test_short_sentences", "test_valid_len"], ["integer tensor"]),
    "one step short": (variant(("pad_or_trim(s, num_steps)", "pad_or_trim(s, num_steps - 1)")),
                       ["test_short_sentences", "test_long_sentences"], ["exactly num_steps tokens"]),
}


def test_book_steps_get_full_marks():
    assert_full_marks(EX, BOOK)


def test_int32_mask_summed_gets_full_marks():
    assert_full_marks(EX, MASK)


def test_lengths_from_the_original_sentences_get_full_marks():
    assert_full_marks(EX, LIST_LEN)


def test_a_list_of_ints_loses_only_the_type_point():
    from autograder.grade import grade_code
    report = grade_code(EX, variant(("valid_len = torch.tensor([", "valid_len = (["), ("for s in sentences])",
                                                                                  "for s in sentences])")))
    assert report.score == report.max_score - 1, report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
