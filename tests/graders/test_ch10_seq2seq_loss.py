"""ch10-seq2seq_loss's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, assert_mutant_caught, standard_proofs

EX = "ch10-seq2seq_loss"

# the book's listing (10.7.5): Seq2Seq.loss, with Classifier.loss(averaged=False) written out, as a function
BOOK = """
def seq2seq_loss(Y_hat, Y, tgt_pad):
    Y_hat_2d = Y_hat.reshape((-1, Y_hat.shape[-1]))
    l = nn.functional.cross_entropy(Y_hat_2d, Y.reshape((-1,)), reduction='none')
    mask = (Y.reshape(-1) != tgt_pad).type(torch.float32)
    return (l * mask).sum() / mask.sum()
"""

# correct alternatives: log_softmax and gather with a guarded division; boolean selection
GATHER = """
def seq2seq_loss(Y_hat, Y, tgt_pad):
    log_p = torch.log_softmax(Y_hat, dim=-1)
    nll = -log_p.gather(-1, Y.unsqueeze(-1)).squeeze(-1)
    keep = Y != tgt_pad
    n = keep.sum()
    return torch.where(n > 0, (nll * keep).sum() / n.clamp(min=1), nll.sum() * 0)
"""

SELECT = """
def seq2seq_loss(Y_hat, Y, tgt_pad):
    keep = (Y != tgt_pad).reshape(-1)
    l = nn.functional.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1])[keep], Y.reshape(-1)[keep], reduction='sum')
    return l / max(int(keep.sum()), 1)
"""

# ignore_index: the same mean, but NaN on a batch of padding only (like the book)
IGNORE_INDEX = """
def seq2seq_loss(Y_hat, Y, tgt_pad):
    return nn.functional.cross_entropy(Y_hat.permute(0, 2, 1), Y, ignore_index=tgt_pad)
"""

SAFE = BOOK.replace("/ mask.sum()", "/ mask.sum().clamp(min=1)")


def variant(*replacements, code=SAFE):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "the book's listing: NaN on an all-padding batch": (BOOK, ["test_all_padding"], ["nan", "clamp(min=1)"]),
    "padding not masked": (variant(("return (l * mask).sum() / mask.sum().clamp(min=1)", "return l.mean()")),
                           ["test_matches_masked", "test_padding_index", "test_gradient"], ["exclude the padding"]),
    "mean per sequence, then over the batch": (variant((
        "return (l * mask).sum() / mask.sum().clamp(min=1)",
        "l, mask = l.reshape(Y.shape), mask.reshape(Y.shape)\n"
        "    return ((l * mask).sum(1) / mask.sum(1).clamp(min=1)).mean()")),
        ["test_matches_masked", "test_gradient"], ["all sequences together"]),
    "divided by the number of tokens": (variant(("/ mask.sum().clamp(min=1)", "/ mask.numel()")),
                                        ["test_matches_masked", "test_padding_index"], ["sum(mask)"]),
    "divided by the batch size": (variant(("/ mask.sum().clamp(min=1)", "/ Y.shape[0]")),
                                  ["test_matches_masked"], ["sum(mask)"]),
    "mask inverted": (variant(("!= tgt_pad", "== tgt_pad")), ["test_matches_masked", "test_padding_index"],
                      ["not padding"]),
    "pad index hard-coded to 0": (variant(("!= tgt_pad", "!= 0")), ["test_matches_masked", "test_padding_index"],
                                  ["not with 0"]),
    "returns a Python float": (variant(("return (l * mask).sum() / mask.sum().clamp(min=1)",
                                        "return ((l * mask).sum() / mask.sum().clamp(min=1)).item()")),
                               ["test_matches_masked", "test_gradient"], ["expected a tensor"]),
    "cross-entropy without reshaping": (variant(("Y_hat_2d = Y_hat.reshape((-1, Y_hat.shape[-1]))",
                                                 "Y_hat_2d = Y_hat"),
                                                ("Y.reshape((-1,))", "Y")),
                                        ["test_matches_masked"], ["classes on axis 1"]),
    "scores shifted in place": (variant(("    Y_hat_2d = Y_hat.reshape", "    Y_hat -= Y_hat.max()\n"
                                         "    Y_hat_2d = Y_hat.reshape")), ["test_inputs_not_modified"],
                                ["in place"]),
    "mask made on the CPU": (variant(("mask = (Y.reshape(-1) != tgt_pad).type(torch.float32)",
                                      "mask = torch.ones(Y.numel()) * (Y.reshape(-1) != tgt_pad)")),
                             ["test_result_on_the_inputs_device"], ["device"]),
}


def test_book_listing_loses_only_the_all_padding_points():
    report = assert_mutant_caught(EX, BOOK, ["test_all_padding"], ["nan"])
    assert report.score == report.max_score - 1.5, report.summary()


def test_clamped_book_listing_gets_full_marks():
    assert_full_marks(EX, SAFE)


def test_log_softmax_and_gather_get_full_marks():
    assert_full_marks(EX, GATHER)


def test_selecting_the_real_tokens_gets_full_marks():
    assert_full_marks(EX, SELECT)


def test_ignore_index_loses_only_the_all_padding_points():
    report = assert_mutant_caught(EX, IGNORE_INDEX, ["test_all_padding"], ["nan"])
    assert report.score == report.max_score - 1.5, report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
