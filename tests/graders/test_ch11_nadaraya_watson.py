"""ch11-nadaraya_watson's grader: reference full marks, stub zero, correct alternatives full marks, the book's
listing loses the float64 test only (its float32 cast), every realistic mistake loses points with a message
that names it."""
import pytest

from .proving import assert_full_marks, assert_mutant_caught, standard_proofs

EX = "ch11-nadaraya_watson"

# the book's listing (PyTorch tab), with d2l.reshape / d2l.astype / d2l.reduce_sum written as torch calls
BOOK_11_2 = """
def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = x_train.reshape((-1, 1)) - x_val.reshape((1, -1))
    # Each column/row corresponds to each query/key
    k = kernel(dists).type(torch.float32)
    # Normalization over keys for each query
    attention_w = k / k.sum(0)
    y_hat = y_train@attention_w
    return y_hat, attention_w
"""

ALTERNATIVES = {
    "differences the other way round": """
def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = x_val[None, :] - x_train[:, None]
    k = kernel(dists).to(x_train.dtype)
    attention_w = k / k.sum(dim=0, keepdim=True)
    return attention_w.T @ y_train, attention_w
""",
    "cdist and einsum": """
def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = torch.cdist(x_train.unsqueeze(1), x_val.unsqueeze(1))   # |x_i - q_j|: the kernels are symmetric
    k = kernel(dists).type_as(x_train)
    attention_w = k / k.sum(0)
    return torch.einsum("n,nm->m", y_train, attention_w), attention_w
""",
    "queries first, transposed at the end": """
def nadaraya_watson(x_train, y_train, x_val, kernel):
    k = kernel(x_val.unsqueeze(-1) - x_train.unsqueeze(0)).to(x_val.dtype)   # (queries, keys)
    weights = k / k.sum(-1, keepdim=True)
    y_hat = (weights * y_train).sum(-1)
    return y_hat, weights.transpose(0, 1)
""",
}

MUTANTS = {
    "normalised over the queries": (BOOK_11_2.replace("k / k.sum(0)", "k / k.sum(1, keepdim=True)").replace(
        "type(torch.float32)", "type(x_train.dtype)"),
        ["test_gaussian_kernel", "test_boxcar"], ["k.sum(0)", "column"]),
    "not normalised": (BOOK_11_2.replace("k / k.sum(0)", "k").replace("type(torch.float32)", "type(x_train.dtype)"),
                       ["test_gaussian_kernel", "test_boxcar"], ["not normalised"]),
    "normalised by the total": (BOOK_11_2.replace("k / k.sum(0)", "k / k.sum()").replace(
        "type(torch.float32)", "type(x_train.dtype)"), ["test_gaussian_kernel"], ["whole matrix"]),
    "softmax of the kernel values": (BOOK_11_2.replace("k / k.sum(0)", "torch.softmax(k, dim=0)").replace(
        "type(torch.float32)", "type(x_train.dtype)"), ["test_gaussian_kernel", "test_boxcar"], ["softmax"]),
    "weights returned queries x keys": ("""
def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = x_val.reshape(-1, 1) - x_train.reshape(1, -1)
    k = kernel(dists).to(x_train.dtype)
    attention_w = k / k.sum(1, keepdim=True)
    return attention_w @ y_train, attention_w
""", ["test_gaussian_kernel", "test_boxcar"], ["transposed", "one row per training point"]),
    "Python loop over the queries": ("""
def nadaraya_watson(x_train, y_train, x_val, kernel):
    columns = []
    for q in x_val:
        k = kernel(x_train - q).to(x_train.dtype)
        columns.append(k / k.sum())
    attention_w = torch.stack(columns, dim=1)
    return y_train @ attention_w, attention_w
""", ["test_speed"], ["reference solution", "looping over the queries"]),
    "predictions made on the CPU": ("""
def nadaraya_watson(x_train, y_train, x_val, kernel):
    k = kernel(x_train.reshape(-1, 1) - x_val.reshape(1, -1)).to(x_train.dtype)
    attention_w = k / k.sum(0)
    y_hat = torch.zeros(len(x_val), dtype=x_train.dtype)
    y_hat += y_train @ attention_w
    return y_hat, attention_w
""", ["test_results_on_the_inputs_device"], ["device"]),
    "detached weights": (BOOK_11_2.replace("k / k.sum(0)", "(k / k.sum(0)).detach()").replace(
        "type(torch.float32)", "type(x_train.dtype)"), ["test_gradients"], ["differentiable"]),
    "changes x_val in place": ("""
def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = x_val.unsqueeze_(0) - x_train.reshape(-1, 1)
    k = kernel(dists).to(x_train.dtype)
    attention_w = k / k.sum(0)
    return y_train @ attention_w, attention_w
""", ["test_inputs_not_modified"], ["in place"]),
}


def test_book_listing_loses_only_the_float64_test():
    report = assert_mutant_caught(EX, BOOK_11_2, ["test_float64_in_float64_out"], ["x_train.dtype", "float32"])
    assert report.score == report.max_score - 1, report.summary()


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
