"""ch09-seq_data_iter_sequential's grader: reference full marks, stub zero, the book's listing full marks, correct
alternatives full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-seq_data_iter_sequential"

# book 9.3.3 (1st edition, d2l 0.17, section 8.3.4)
BOOK = """
def seq_data_iter_sequential(corpus, batch_size, num_steps):  #@save
    \"\"\"Generate a minibatch of subsequences using sequential partitioning.\"\"\"
    # Start with a random offset to partition a sequence
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        X = Xs[:, i: i + num_steps]
        Y = Ys[:, i: i + num_steps]
        yield X, Y
"""


def book(old, new):
    assert BOOK.count(old) == 1, old
    return BOOK.replace(old, new)


MUTANTS = {
    "no random offset": (book("offset = random.randint(0, num_steps)", "offset = 0"), ["test_random_offset"],
                         ["always started at offset 0"]),
    "rows interleaved: reshape(-1, batch_size).T": (
        book("Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)",
             "Xs, Ys = Xs.reshape(-1, batch_size).T, Ys.reshape(-1, batch_size).T"),
        ["test_minibatches_are_pairs", "test_rows_continue"], ["interleaved"]),
    "one column at a time": (book("for i in range(0, num_steps * num_batches, num_steps):",
                                  "for i in range(0, num_batches):"),
                             ["test_rows_continue"], ["one column at a time"]),
    "minibatches in random order": (book("    for i in range(0, num_steps * num_batches, num_steps):",
                                         "    order = list(range(0, num_steps * num_batches, num_steps))\n"
                                         "    random.shuffle(order)\n    for i in order:"),
                                    ["test_rows_continue"], ["continues row r"]),
    "targets equal the inputs": (book("Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])",
                                      "Ys = torch.tensor(corpus[offset: offset + num_tokens])"),
                                 ["test_targets_are_the_next_tokens"], ["Y equals X"]),
    "no token kept for the targets": (book("num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size",
                                           "num_tokens = ((len(corpus) - offset) // batch_size) * batch_size"),
                                      ["test_offset_and_number"], ["one token"]),
    "the last minibatch left out": (book("for i in range(0, num_steps * num_batches, num_steps):",
                                         "for i in range(0, num_steps * (num_batches - 1), num_steps):"),
                                    ["test_offset_and_number"], ["every full minibatch"]),
    "offset up to len(corpus)": (book("offset = random.randint(0, num_steps)",
                                      "offset = random.randint(0, len(corpus) // 4)"),
                                 ["test_offset_and_number"], ["between 0 and num_steps"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_rows_of_exactly_the_used_tokens_get_full_marks():
    assert_full_marks(EX, """
def seq_data_iter_sequential(corpus, batch_size, num_steps):
    d = int(torch.randint(0, num_steps + 1, ()))
    num_batches = (len(corpus) - d - 1) // (batch_size * num_steps)
    if num_batches == 0:
        return []
    n = num_batches * num_steps
    data = torch.tensor(corpus)
    Xs = data[d:d + batch_size * n].reshape(batch_size, n)
    Ys = data[d + 1:d + 1 + batch_size * n].reshape(batch_size, n)
    return list(zip(Xs.split(num_steps, dim=1), Ys.split(num_steps, dim=1)))
""")


def test_python_lists_then_tensors_get_full_marks():
    assert_full_marks(EX, """
def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = random.randrange(num_steps + 1)
    length = (len(corpus) - offset - 1) // batch_size
    rows = [corpus[offset + r * length: offset + (r + 1) * length + 1] for r in range(batch_size)]
    for i in range(length // num_steps):
        cols = slice(i * num_steps, (i + 1) * num_steps)
        X = torch.tensor([row[cols] for row in rows], dtype=torch.long)
        Y = torch.tensor([row[1:][cols] for row in rows], dtype=torch.long)
        yield X, Y
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
