"""ch11-masked_softmax's grader: reference full marks, stub zero, the book's listing loses only the point for
writing into X, every classic mistake loses points."""

from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch11-masked_softmax"

BOOK_11_3 = """
def masked_softmax(X, valid_lens):  #@save
    \"\"\"Perform softmax operation by masking elements on the last axis.\"\"\"
    # X: 3D tensor, valid_lens: 1D or 2D tensor
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32,
                            device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # On the last axis, replace masked elements with a very large negative
        # value, whose exponentiation outputs 0
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)
"""
# the book's listing with the one change the lesson asks for: fill a new tensor
OUT_OF_PLACE = BOOK_11_3.replace("X[~mask] = value\n        return X", "return X.masked_fill(~mask, value)")


def variant(old, new):
    assert old in OUT_OF_PLACE
    return OUT_OF_PLACE.replace(old, new)


MUTANTS = {
    "repeat instead of repeat_interleave": (
        variant("torch.repeat_interleave(valid_lens, shape[1])", "valid_lens.repeat(shape[1])"),
        ["test_one_length_per_example"], ["repeat_interleave", "wrong examples"]),
    "masked scores set to 0": (
        variant("value=-1e6", "value=0"),
        ["test_one_length_per_example", "test_one_length_per_query"], ["exp(0)", "-1e6"]),
    "-inf fill gives NaN for valid length 0": (
        variant("value=-1e6", "value=float('-inf')"),
        ["test_zero_and_full_lengths"], ["NaN", "-1e6"]),
    "softmax over the queries axis": (
        variant("softmax(X.reshape(shape), dim=-1)", "softmax(X.reshape(shape), dim=1)"),
        ["test_one_length_per_example"], ["queries axis"]),
    "keeps one key too many": (
        variant("< valid_len[:, None]", "<= valid_len[:, None]"),
        ["test_one_length_per_example"], ["one key too many"]),
    "zeroes weights after the softmax": ("""
def masked_softmax(X, valid_lens):
    P = torch.softmax(X, -1)
    if valid_lens is None:
        return P
    if valid_lens.dim() == 1:
        valid_lens = valid_lens[:, None].expand(X.shape[0], X.shape[1])
    mask = torch.arange(X.shape[-1], device=X.device) < valid_lens[..., None]
    return P * mask
""", ["test_one_length_per_example"], ["renormalising"]),
    "ignores valid_lens": ("""
def masked_softmax(X, valid_lens):
    return torch.softmax(X, -1)
""", ["test_one_length_per_example"], ["not masked"]),
    "2-D lengths treated as 1-D": (
        variant("""        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)""",
                "        valid_lens = torch.repeat_interleave(valid_lens.reshape(-1), shape[1])"),
        ["test_one_length_per_query"], ["size of tensor"]),
    "mask made on the CPU": (
        variant(",\n                            device=X.device)", ")"),
        ["test_works_on_the_inputs_device"], ["device=X.device"]),
    "detaches X": (
        variant("return X.masked_fill(~mask, value)", "return X.detach().masked_fill(~mask, value)"),
        ["test_gradient"], ["detach"]),
    "masked_fill_ on a 3-D X": ("""
def masked_softmax(X, valid_lens):
    if valid_lens is None:
        return torch.softmax(X, -1)
    B, Q, K = X.shape
    lens = valid_lens[:, None].expand(B, Q) if valid_lens.dim() == 1 else valid_lens
    X.masked_fill_(torch.arange(K, device=X.device) >= lens[..., None], -1e6)
    return torch.softmax(X, -1)
""", ["test_input_not_modified"], ["in place", "masked_fill("]),
    "python loop over rows": ("""
def masked_softmax(X, valid_lens):
    if valid_lens is None:
        return torch.softmax(X, -1)
    X = X.clone()
    B, Q, K = X.shape
    for b in range(B):
        for q in range(Q):
            n = int(valid_lens[b] if valid_lens.dim() == 1 else valid_lens[b, q])
            X[b, q, n:] = -1e6
    return torch.softmax(X, -1)
""", ["test_speed"], ["reference solution"]),
}



def test_book_listing_out_of_place_gets_full_marks():
    assert_full_marks(EX, OUT_OF_PLACE)


def test_book_listing_loses_only_the_in_place_point():
    report = grade_code(EX, BOOK_11_3)
    assert set(failed(report)) == {"test_input_not_modified"}, report.summary()
    assert report.score == report.max_score - 1, report.summary()
    assert "view" in failed(report)["test_input_not_modified"], report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
