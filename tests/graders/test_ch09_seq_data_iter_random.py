"""ch09-seq_data_iter_random's grader: reference full marks, stub zero, the book's listing full marks, correct
alternatives full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch09-seq_data_iter_random"

# book 9.3.3 (1st edition, d2l 0.17, section 8.3.4)
BOOK = """
def seq_data_iter_random(corpus, batch_size, num_steps):  #@save
    \"\"\"Generate a minibatch of subsequences using random sampling.\"\"\"
    # Start with a random offset (inclusive of `num_steps - 1`) to partition a
    # sequence
    corpus = corpus[random.randint(0, num_steps - 1):]
    # Subtract 1 since we need to account for labels
    num_subseqs = (len(corpus) - 1) // num_steps
    # The starting indices for subsequences of length `num_steps`
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    # In random sampling, the subsequences from two adjacent random
    # minibatches during iteration are not necessarily adjacent on the
    # original sequence
    random.shuffle(initial_indices)

    def data(pos):
        # Return a sequence of length `num_steps` starting from `pos`
        return corpus[pos: pos + num_steps]

    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        # Here, `initial_indices` contains randomized starting indices for
        # subsequences
        initial_indices_per_batch = initial_indices[i: i + batch_size]
        X = [data(j) for j in initial_indices_per_batch]
        Y = [data(j + 1) for j in initial_indices_per_batch]
        yield torch.tensor(X), torch.tensor(Y)
"""


def book(old, new):
    assert BOOK.count(old) == 1, old
    return BOOK.replace(old, new)


MUTANTS = {
    "no shuffle": (book("    random.shuffle(initial_indices)\n", ""), ["test_random_offset_and_order"],
                   ["in the order of the corpus", "shuffle"]),
    "no random offset": (book("corpus = corpus[random.randint(0, num_steps - 1):]", "corpus = corpus[0:]"),
                         ["test_random_offset_and_order"], ["same number of tokens", "afresh"]),
    "seeds the generator inside": (book("    corpus = corpus[random", "    random.seed(0)\n    corpus = corpus[random"),
                                   ["test_random_offset_and_order"], ["do not seed"]),
    "num_steps // batch_size minibatches (a bug seen in the wild)": (
        book("num_batches = num_subseqs // batch_size", "num_batches = num_steps // batch_size"),
        ["test_number_of_minibatches"], ["not num_steps // batch_size"]),
    "pieces of num_subseqs tokens (a bug seen in the wild)": (
        book("return corpus[pos: pos + num_steps]", "return corpus[pos: pos + num_subseqs]"),
        ["test_minibatches_are_pairs", "test_targets"], ["shape"]),
    "every window, overlapping": (book("initial_indices = list(range(0, num_subseqs * num_steps, num_steps))",
                                       "initial_indices = list(range(0, num_subseqs * num_steps))"),
                                  ["test_pieces_partition_the_corpus"], ["overlap", "not every window"]),
    "targets equal the inputs": (book("Y = [data(j + 1) for j", "Y = [data(j) for j"),
                                 ["test_targets_are_the_next_tokens"], ["Y equals X"]),
    "targets are the token indices plus one": (book("yield torch.tensor(X), torch.tensor(Y)",
                                                    "yield torch.tensor(X), torch.tensor(X) + 1"),
                                               ["test_targets_are_the_next_tokens"], ["adds one to the token indices"]),
    "no token kept for the last target": (book("num_subseqs = (len(corpus) - 1) // num_steps",
                                               "num_subseqs = len(corpus) // num_steps"),
                                          ["test_random_offset_and_order"], ["one token after the last input"]),
    "pieces drawn with replacement": (book("initial_indices_per_batch = initial_indices[i: i + batch_size]",
                                           "initial_indices_per_batch = random.choices(initial_indices, k=batch_size)"),
                                      ["test_pieces_partition_the_corpus"], ["more than once"]),
    "float tensors": (book("yield torch.tensor(X), torch.tensor(Y)",
                           "yield torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)"),
                      ["test_minibatches_are_pairs"], ["int64"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK)


def test_torch_randomness_and_tensor_indexing_get_full_marks():
    assert_full_marks(EX, """
def seq_data_iter_random(corpus, batch_size, num_steps):
    corpus = torch.tensor(corpus)
    d = int(torch.randint(num_steps, ()))
    m = (len(corpus) - d - 1) // num_steps
    starts = d + num_steps * torch.randperm(m)
    steps = torch.arange(num_steps)
    for b in range(m // batch_size):
        s = starts[b * batch_size:(b + 1) * batch_size, None]
        yield corpus[s + steps], corpus[s + 1 + steps]
""")


def test_a_list_of_minibatches_gets_full_marks():
    assert_full_marks(EX, """
def seq_data_iter_random(corpus, batch_size, num_steps):
    corpus = corpus[random.randrange(num_steps):]
    starts = random.sample(range(0, (len(corpus) - 1) // num_steps * num_steps, num_steps),
                           (len(corpus) - 1) // num_steps)
    batches = []
    while len(starts) >= batch_size:
        chosen, starts = starts[:batch_size], starts[batch_size:]
        batches.append((torch.tensor([corpus[s:s + num_steps] for s in chosen]),
                        torch.tensor([corpus[s + 1:s + num_steps + 1] for s in chosen])))
    return batches
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
