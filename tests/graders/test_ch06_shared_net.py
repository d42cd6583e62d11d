"""ch06-shared_net's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch06-shared_net"

# the listing of book 6.2.3, as printed, in the function the lesson asks for
BOOK_6_2_3 = """
def shared_net(num_hiddens=8):
    # We need to give the shared layer a name so that we can refer to its
    # parameters
    shared = nn.LazyLinear(num_hiddens)
    net = nn.Sequential(nn.LazyLinear(num_hiddens), nn.ReLU(),
                        shared, nn.ReLU(),
                        shared, nn.ReLU(),
                        nn.LazyLinear(1))
    return net
"""


def book(old, new):
    assert BOOK_6_2_3.count(old) == 1, old
    return BOOK_6_2_3.replace(old, new)


MUTANTS = {
    "two separate layers": (book("                        shared, nn.ReLU(),\n                        nn.LazyLinear(1))",
                                 "                        nn.LazyLinear(num_hiddens), nn.ReLU(),\n"
                                 "                        nn.LazyLinear(1))"),
                            ["test_positions_2_and_4", "test_tied_gradients"], ["are parameters of their own"]),
    "a deep copy for the second use": ("""
import copy
def shared_net(num_hiddens=8):
    shared = nn.LazyLinear(num_hiddens)
    return nn.Sequential(nn.LazyLinear(num_hiddens), nn.ReLU(), shared, nn.ReLU(), copy.deepcopy(shared),
                         nn.ReLU(), nn.LazyLinear(1))
""", ["test_positions_2_and_4", "test_tied_gradients"], ["same object"]),
    "only the weight tied": ("""
def shared_net(num_hiddens=8):
    first, second = nn.Linear(num_hiddens, num_hiddens), nn.Linear(num_hiddens, num_hiddens)
    second.weight = first.weight
    return nn.Sequential(nn.LazyLinear(num_hiddens), nn.ReLU(), first, nn.ReLU(), second, nn.ReLU(),
                         nn.LazyLinear(1))
""", ["test_positions_2_and_4", "test_tied_gradients"], ["the bias at position 4 is a parameter of its own"]),
    "hard-coded 8 hidden units": (BOOK_6_2_3.replace("nn.LazyLinear(num_hiddens)", "nn.LazyLinear(8)"),
        ["test_num_hiddens_is_used"], ["num_hiddens"]),
    "no ReLU between the two uses": (book("                        shared, nn.ReLU(),\n                        shared,",
                                          "                        shared, nn.Identity(),\n                        shared,"),
                                     ["test_output", "test_tied_gradients"], ["between the two uses"]),
    "output layer of num_hiddens units": (book("nn.LazyLinear(1))", "nn.LazyLinear(num_hiddens))"),
                                          ["test_output", "test_positions", "test_tied", "test_num_hiddens"],
                                          ["6.weight has shape"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_6_2_3)


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def shared_net(num_hiddens=8):
    shared = nn.Linear(num_hiddens, num_hiddens)
    layers = [nn.LazyLinear(num_hiddens), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.LazyLinear(1)]
    return nn.Sequential(*layers)
""")
    assert_full_marks(EX, """
def shared_net(num_hiddens=8):
    shared = nn.Linear(num_hiddens, num_hiddens)
    return nn.Sequential(nn.Linear(4, num_hiddens), nn.ReLU(), *[shared, nn.ReLU()] * 2, nn.Linear(num_hiddens, 1))
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
