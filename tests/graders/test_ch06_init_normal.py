"""ch06-init_normal's grader: reference full marks, stub zero, the book's listing full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch06-init_normal"

# the listing of book 6.3.1, as printed
BOOK_6_3_1 = """
def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, mean=0, std=0.01)
        nn.init.zeros_(module.bias)
"""


def book(old, new):
    assert BOOK_6_3_1.count(old) == 1, old
    return BOOK_6_3_1.replace(old, new)


MUTANTS = {
    "mean passed where the std goes": (book("mean=0, std=0.01", "0.01"),
                                       ["test_weight_statistics", "test_keeps_dtype"], ["sets the mean to 0.01"]),
    "std 0.1 (the square root of 0.01)": (book("std=0.01", "std=0.1"), ["test_weight_statistics"],
                                          ["not the variance"]),
    "bias left as it was": (book("        nn.init.zeros_(module.bias)\n", ""), ["test_biases"], ["left as it was"]),
    "every parameter of the layer drawn": (book("nn.init.normal_(module.weight, mean=0, std=0.01)\n"
                                                "        nn.init.zeros_(module.bias)",
                                                "for p in module.parameters():\n"
                                                "            nn.init.normal_(p, mean=0, std=0.01)"),
                                           ["test_biases"], ["nonzero"]),
    "any module with a weight": (book("if type(module) == nn.Linear:", "if hasattr(module, 'weight'):"),
                                 ["test_only_linear_layers_change"], ["LayerNorm", "type(module) == nn.Linear"]),
    "no test of the module's type": ("""
def init_normal(module):
    nn.init.normal_(module.weight, mean=0, std=0.01)
    nn.init.zeros_(module.bias)
""", ["test_weight_statistics", "test_biases", "test_only"], ["has no attribute", "every module"]),
    "seeded inside": (book("    if type(module)", "    torch.manual_seed(0)\n    if type(module)"),
                      ["test_each_layer_gets_its_own_draw"], ["torch.manual_seed"]),
    "new CPU float32 tensor assigned to .data": (book(
        "nn.init.normal_(module.weight, mean=0, std=0.01)",
        "module.weight.data = torch.randn(module.weight.shape) * 0.01"), ["test_keeps_dtype_and_device"],
        ["dtype"]),
    "uniform with the right spread": (book("nn.init.normal_(module.weight, mean=0, std=0.01)",
                                           "nn.init.uniform_(module.weight, -0.01 * 3 ** 0.5, 0.01 * 3 ** 0.5)"),
                                      ["test_weight_statistics"], ["not uniform_"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_6_3_1)


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def init_normal(module):
    if isinstance(module, nn.Linear):
        with torch.no_grad():
            module.weight.normal_(0, 0.01)
            module.bias.zero_()
""")
    assert_full_marks(EX, """
def init_normal(module):
    if type(module) is nn.Linear:
        module.weight.data = torch.randn_like(module.weight) * 0.01
        module.bias.data.fill_(0)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
