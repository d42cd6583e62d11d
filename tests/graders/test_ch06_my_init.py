"""ch06-my_init's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch06-my_init"

# the listing of book 6.3.2, as printed
BOOK_6_3_2 = """
def my_init(module):
    if type(module) == nn.Linear:
        print("Init", *[(name, param.shape)
                        for name, param in module.named_parameters()][0])
        nn.init.uniform_(module.weight, -10, 10)
        module.weight.data *= module.weight.data.abs() >= 5
"""


def book(old, new):
    assert BOOK_6_3_2.count(old) == 1, old
    return BOOK_6_3_2.replace(old, new)


MUTANTS = {
    "drops the negative half": (book("module.weight.data.abs() >= 5", "module.weight.data >= 5"),
                                ["test_weight_statistics"], ["w.abs() >= 5"]),
    "mask the wrong way round": (book("module.weight.data.abs() >= 5", "module.weight.data.abs() < 5"),
                                 ["test_weight_statistics"], ["wrong way round"]),
    "no mask": (book("        module.weight.data *= module.weight.data.abs() >= 5\n", ""),
                ["test_weight_statistics"], ["did not zero"]),
    "masks in place outside no_grad": (book("module.weight.data *= module.weight.data.abs() >= 5",
                                            "module.weight[module.weight.abs() < 5] = 0"),
                                       ["test_weight_statistics"], ["leaf Variable", "torch.no_grad()"]),
    "every parameter of the layer": ("""
def my_init(module):
    if type(module) == nn.Linear:
        for p in module.parameters():
            nn.init.uniform_(p, -10, 10)
            p.data *= p.data.abs() >= 5
""", ["test_biases"], ["module.weight only"]),
    "any module with a weight": (book("if type(module) == nn.Linear:", "if hasattr(module, 'weight'):"),
                                 ["test_only_linear_layers_change"], ["LayerNorm"]),
    "seeded inside": (book("        nn.init.uniform_", "        torch.manual_seed(42)\n        nn.init.uniform_"),
                      ["test_each_layer_gets_its_own_draw"], ["torch.manual_seed"]),
    "a CPU tensor assigned to .data": (book("nn.init.uniform_(module.weight, -10, 10)",
                                            "module.weight.data = torch.rand(module.weight.shape) * 20 - 10"),
                                       ["test_keeps_dtype_and_device"], ["dtype"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_6_3_2)


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def my_init(module):
    if isinstance(module, nn.Linear):
        with torch.no_grad():
            module.weight.uniform_(-10, 10)
            module.weight[module.weight.abs() < 5] = 0
""")
    assert_full_marks(EX, """
def my_init(module):
    if type(module) == nn.Linear:
        w = torch.empty_like(module.weight).uniform_(-10, 10)
        module.weight.data = torch.where(w.abs() >= 5, w, torch.zeros_like(w))
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
