"""ch07-conv_output_shape's grader: reference full marks, stub zero, sound formulas full marks, every realistic
mistake in the formula loses points with a message that names it."""
from .proving import assert_full_marks, standard_proofs

EX = "ch07-conv_output_shape"

PAIRS = """
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w) = input_shape, pair(kernel_size), pair(padding), pair(stride)
    return ({h}, {w})
"""


def formula(h):
    """A solution whose height is `h` (in n_h, k_h, p_h, s_h), the width the same formula in n_w, k_w, ..."""
    w = h.replace("_h", "_w")
    return PAIRS.replace("{h}", h).replace("{w}", w)


MUTANTS = {
    "padding on one side only": (formula("(n_h - k_h + p_h + s_h) // s_h"), ["test_book_examples", "test_padding"],
                                 ["AND p at the bottom"]),
    "the + 1 (+ s) forgotten": (formula("(n_h - k_h + 2 * p_h) // s_h"), ["test_book_examples", "test_stride"],
                                ["first position"]),
    "rounds up": (formula("-(-(n_h - k_h + 2 * p_h + s_h) // s_h)"), ["test_stride", "test_many"], ["round down"]),
    "true division": (formula("(n_h - k_h + 2 * p_h + s_h) / s_h"), ["test_book_examples", "test_stride"],
                      ["floor division"]),
    "stride ignored": (formula("n_h - k_h + 2 * p_h + 1"), ["test_book_examples", "test_stride"],
                       ["divide by the stride"]),
    "padding ignored": (formula("(n_h - k_h + s_h) // s_h"), ["test_book_examples", "test_padding"],
                        ["padding into account"]),
    "height and width swapped": (PAIRS.replace("{h}", "(n_w - k_w + 2 * p_w + s_w) // s_w").replace(
        "{w}", "(n_h - k_h + 2 * p_h + s_h) // s_h"), ["test_padding", "test_many"], ["swapped"]),
    "pairs only (an int kernel_size breaks)": ("""
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w) = input_shape, kernel_size, padding, stride
    return ((n_h - k_h + 2 * p_h + s_h) // s_h, (n_w - k_w + 2 * p_w + s_w) // s_w)
""", ["test_book_examples", "test_ints_and_pairs"], ["pair"]),
    "returns floats (float(...))": (formula(
        "float((n_h - k_h + 2 * p_h + s_h) // s_h)"), ["test_returns_ints"], ["Python ints"]),
    "runs a convolution to read the shape (comp_conv2d)": ("""
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, padding=padding, stride=stride)
    return tuple(comp_conv2d(conv2d, torch.zeros(input_shape)).shape)
""", ["test_computed_from_the_formula"], ["comp_conv2d"]),
}


def test_plus_one_form_gets_full_marks():
    assert_full_marks(EX, formula("(n_h + 2 * p_h - k_h) // s_h + 1"))


def test_math_floor_gets_full_marks():
    assert_full_marks(EX, "import math\n" + formula("math.floor((n_h - k_h + 2 * p_h) / s_h) + 1"))


def test_counting_the_positions_gets_full_marks():
    assert_full_marks(EX, """
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    sizes = []
    for n, k, p, s in zip(input_shape, *[[v, v] if isinstance(v, int) else v for v in (kernel_size, padding, stride)]):
        sizes.append(len(range(0, n + 2 * p - k + 1, s)))   # the top rows of the windows that fit
    return tuple(sizes)
""")


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
