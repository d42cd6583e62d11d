"""ch06-init_xavier's grader: reference full marks, stub zero, mistakes lose points; the book's listing, which calls
nn.init.xavier_uniform_, gets no credit in this from-scratch exercise."""
from autograder.grade import grade_code

from .proving import assert_full_marks, standard_proofs

EX = "ch06-init_xavier"

# the listing of book 6.3.1, as printed
BOOK_6_3_1 = """
def init_xavier(module):
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)
"""


def scratch(bound, draw="nn.init.uniform_(module.weight, -a, a)", test="type(module) == nn.Linear", extra=""):
    return f"""
def init_xavier(module):
    if {test}:
        fan_out, fan_in = module.weight.shape
        a = {bound}
        {draw}{extra}
"""


RIGHT = "math.sqrt(6 / (fan_in + fan_out))"

MUTANTS = {
    "the book's nn.init.xavier_uniform_": (BOOK_6_3_1, ["test_written_from_scratch"], ["write yourself"]),
    "the library through getattr": ("""
def init_xavier(module):
    if type(module) == nn.Linear:
        getattr(nn.init, "xavier_" + "uniform_")(module.weight)
""", ["test_written_from_scratch"], ["xavier_uniform_"]),
    "He's bound sqrt(6 / fan_in)": (scratch("math.sqrt(6 / fan_in)"), ["test_weight_statistics"], ["Kaiming"]),
    "the std as the bound": (scratch("math.sqrt(2 / (fan_in + fan_out))"), ["test_weight_statistics"],
                             ["a / sqrt(3)"]),
    "fans from one dimension": (scratch("math.sqrt(6 / (2 * module.weight.shape[0]))"),
                                ["test_weight_statistics"], ["weight.shape[1]"]),
    "no square root": (scratch("6 / (fan_in + fan_out)"), ["test_weight_statistics"], ["square root"]),
    "U(0, a)": (scratch(RIGHT, draw="nn.init.uniform_(module.weight, 0, a)"), ["test_weight_statistics"],
                ["U(0, a)"]),
    "Gaussian with Xavier's variance": (scratch("math.sqrt(2 / (fan_in + fan_out))",
                                                draw="nn.init.normal_(module.weight, 0, a)"),
                                        ["test_weight_statistics"], ["normal variant"]),
    "zeroes the bias too": (scratch(RIGHT, extra="\n        nn.init.zeros_(module.bias)"), ["test_biases"],
                            ["stay as they were"]),
    "a CPU tensor assigned to .data": (scratch(RIGHT, draw="module.weight.data = (torch.rand(fan_out, fan_in) * 2 - 1) * a"),
                                       ["test_keeps_dtype_and_device"], ["dtype"]),
    "a CPU tensor of the right dtype assigned to .data": (scratch(
        RIGHT, draw="module.weight.data = (torch.rand(fan_out, fan_in, dtype=module.weight.dtype) * 2 - 1) * a"),
        ["test_keeps_dtype_and_device"], ["meta", "on the parameter's device"]),
    # a LayerNorm's weight is 1-D: its "fans" come out as (400, 400)
    "any module with a weight": ("""
def init_xavier(module):
    if hasattr(module, "weight"):
        fan_out, fan_in = (module.weight.shape[0], module.weight.shape[-1])
        a = math.sqrt(6 / (fan_in + fan_out))
        nn.init.uniform_(module.weight, -a, a)
""", ["test_only_linear_layers_change"], ["LayerNorm"]),
}


def test_book_listing_gets_no_credit():
    report = grade_code(EX, BOOK_6_3_1)
    assert report.score == 0 and "No credit" in report.no_credit, report.summary()


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, """
def init_xavier(module):
    if isinstance(module, nn.Linear):
        a = (6 / (module.in_features + module.out_features)) ** 0.5
        with torch.no_grad():
            module.weight.uniform_(-a, a)
""")
    assert_full_marks(EX, """
def init_xavier(module):
    if type(module) == nn.Linear:
        n_out, n_in = module.weight.shape
        a = math.sqrt(6.0 / (n_in + n_out))
        module.weight.data = (torch.rand_like(module.weight) * 2 - 1) * a
""")


def test_an_initializer_that_does_nothing_gets_nothing():
    for body in ("pass", "if type(module) == 'Linear':\n        nn.init.uniform_(module.weight, -0.1, 0.1)"):
        report = grade_code(EX, f"def init_xavier(module):\n    {body}\n")
        assert report.score == 0, report.summary()


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
