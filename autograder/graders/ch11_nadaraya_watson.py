"""Grader for ch11-nadaraya_watson: `nadaraya_watson(x_train, y_train, x_val, kernel)` returns the predictions
and the attention weights of Nadaraya-Watson regression (book 11.2).

Functions cannot cross into the sandbox (only tensors, numbers and strings do), so the calls go through the
lesson's given `kernel_regression(x_train, y_train, x_val, name, width)`, which passes the lesson's kernel
`name` (scaled to `width`) to the student's nadaraya_watson. Only the given kernels (gaussian, boxcar,
constant) are used, never the student's epanechikov. The truth is computed here in float64.

The book's layout is kept: attention_w has one row per training point (key) and one column per query, so
y_hat = y_train @ attention_w. The kit departs from the book's listing in one point: the kernel values are cast
to the inputs' dtype, not to float32, so that float64 data gives float64 results (the listing's float32 cast
makes `y_train @ attention_w` fail for float64 data; it loses test_float64_in_float64_out only).
"""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape,
                               first_matching_hint, seeded, show)
from autograder.impl import Implementation
from autograder.recipe import Recipe

ADAPTER = "kernel_regression"   # the lesson's given cell: nadaraya_watson with a kernel named by a string
KERNELS = {
    "gaussian": lambda d: torch.exp(-d ** 2 / 2),
    "boxcar": lambda d: (d.abs() < 1.0).to(d.dtype),
    "constant": lambda d: torch.ones_like(d),
}
LAYOUT_HINT = ("keep the book's layout: dists = x_train.reshape(-1, 1) - x_val.reshape(1, -1) has one row per "
               "training point (key) and one column per query, attention_w = k / k.sum(0) has that shape too, "
               "and y_hat = y_train @ attention_w.")
GENERIC_HINT = ("k = kernel(x_train.reshape(-1, 1) - x_val.reshape(1, -1)), cast to x_train's dtype; "
                "attention_w = k / k.sum(0) (each query's column sums to 1); y_hat = y_train @ attention_w.")
DTYPE_HINT = ("cast the kernel's values to the inputs' dtype, kernel(dists).to(x_train.dtype): the book's "
              ".astype(float32) makes float64 data meet float32 weights in y_train @ attention_w (an error), and "
              "boxcar returns booleans, which must become numbers of the inputs' dtype.")
DEVICE_HINT = ("make every new tensor on the inputs' device (torch.zeros(n, device=x_val.device), or better no "
               "new tensor at all: broadcasting x_train.reshape(-1, 1) - x_val.reshape(1, -1) makes the whole "
               "matrix on the right device).")


def data(n, m, seed, dtype=torch.float32, device="cpu"):
    """x_train: n sorted points in [0, 5) at most 0.8 apart (so that every query has a training point within
    the boxcar's reach); y_train = 2 sin(x) + x + noise; x_val: m queries in [0, 5)."""
    g = torch.Generator().manual_seed(seed)
    x_train = (torch.arange(n, dtype=torch.float64) + 0.2 + 0.6 * torch.rand(n, generator=g, dtype=torch.float64))
    x_train = x_train * 5 / n
    y_train = 2 * torch.sin(x_train) + x_train + torch.randn(n, generator=g, dtype=torch.float64)
    x_val = torch.linspace(0.1, 4.9, m, dtype=torch.float64)
    return tuple(t.to(dtype).to(device) for t in (x_train, y_train, x_val))


def truth(x_train, y_train, x_val, name, width=1.0):
    x_train, y_train, x_val = (t.to(torch.float64) for t in (x_train, y_train, x_val))
    k = KERNELS[name]((x_train.reshape(-1, 1) - x_val.reshape(1, -1)) / width)
    w = k / k.sum(0)
    return y_train @ w, w


def wrong_answers(x_train, y_train, x_val, name, width):
    """hint -> the (y_hat, attention_w) that mistake gives, computed only when needed."""
    x64, y64, v64 = (t.to(torch.float64) for t in (x_train, y_train, x_val))

    def k():
        return KERNELS[name]((x64.reshape(-1, 1) - v64.reshape(1, -1)) / width)

    return {
        "each query's weights (a column, dimension 0) must sum to 1: divide by k.sum(0), not k.sum(1), which "
        "normalises over the queries of each training point.":
            lambda: (lambda w: (y64 @ w, w))(k() / k().sum(1, keepdim=True)),
        "the kernel values were not normalised: divide them by their sum over the training points, "
        "k / k.sum(0), so that each query's weights sum to 1.": lambda: (y64 @ k(), k()),
        "you divided by the sum of the whole matrix; each query (column) is normalised by its own sum, "
        "k.sum(0).": lambda: (lambda w: (y64 @ w, w))(k() / k().sum()),
        "that is a softmax of the kernel values; the kernel values are already unnormalised weights: divide "
        "them by their sum, k / k.sum(0) (a softmax would exponentiate them again).":
            lambda: (lambda w: (y64 @ w, w))(torch.softmax(k(), 0)),
    }


def diagnose(args, got, part) -> str:
    """The hint for a wrong `part` (0: y_hat, 1: attention_w) of the result."""
    x_train, y_train, x_val, name, width = args
    n, m = len(x_train), len(x_val)
    value = got[part]
    if part == 1 and isinstance(value, torch.Tensor) and tuple(value.shape) == (m, n):
        return "attention_w is transposed (one row per query). " + LAYOUT_HINT
    if isinstance(value, torch.Tensor) and value.shape != ((m,) if part == 0 else (n, m)):
        return LAYOUT_HINT
    candidates = {hint: (lambda f=f: f()[part]) for hint, f in wrong_answers(*args).items()}
    return first_matching_hint(value, candidates, default=GENERIC_HINT)


def about(x_train, y_train, x_val, name, width=1.0):
    kernel = name if width == 1.0 else f"{name} of width {width}"
    dtype = "" if x_train.dtype == torch.float32 else f"{str(x_train.dtype)[6:]} "
    return (f"nadaraya_watson(x_train, y_train, x_val, kernel) with the {kernel} kernel, for {dtype}data of "
            f"{len(x_train)} training points and {len(x_val)} queries")


def check_values(args, got, call):
    x_train, _, x_val, _, _ = args
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake(f"{call} returned {show(got) if isinstance(got, torch.Tensor) else type(got).__name__}; "
                      "expected two tensors, the predictions and the attention weights.",
                      "return y_hat, attention_w (as the book does).")
    y_hat, w = truth(*args)
    for part, name, expected in ((1, "attention_w", w), (0, "y_hat", y_hat)):
        hint = lambda part=part: diagnose(args, got, part)  # noqa: E731 - only if a check fails
        expect_shape(got[part], expected.shape, f"{call}: its {name}", hint)
        if got[part].dtype != x_train.dtype:
            raise Mistake(f"{call}: its {name} has dtype {got[part].dtype}, expected {x_train.dtype} (the "
                          "inputs' dtype).", DTYPE_HINT)
        expect_close(got[part], expected.to(x_train.dtype), f"{call}: its {name}", hint)


def error_hint(e: StudentError):
    if "in-place" in e.message:
        return ("x_train.unsqueeze_(1), x_val.sub_(...) and the like change the caller's tensors (autograd refuses "
                "that on a tensor that requires a gradient): use reshape and out-of-place arithmetic.")
    text = e.message.lower()
    if "dtype" in text or ("double" in text and "float" in text):
        return DTYPE_HINT
    if "device" in text:
        return DEVICE_HINT
    if "size" in text or "shape" in text or "dimension" in text:
        return LAYOUT_HINT
    return None


def adapter(impl, device):
    """The lesson's kernel_regression, in the same place as `impl` (the student's code or the reference)."""
    return Implementation(impl.transport, ADAPTER, impl.device, getattr(impl, "label", "student"))


recipe = Recipe(about, check_values, target=adapter, error_hint=error_hint)


def case(n, m, seed, name, width=1.0, dtype=torch.float32):
    return lambda device: (*data(n, m, seed, dtype, device), name, width)


# the properties (gradient, inputs untouched, any device, speed) count only for a correct result
test_gaussian_kernel = recipe.values(2, case(12, 13, 1, "gaussian"), case(1, 3, 2, "gaussian"))
test_boxcar_and_constant_kernels = recipe.values(2, case(12, 9, 3, "boxcar"), case(10, 6, 4, "constant"))
test_kernel_widths = recipe.values(1, case(20, 9, 5, "gaussian", 0.25), case(15, 7, 6, "gaussian", 2.0),
                                   case(15, 8, 7, "boxcar", 0.5))
test_float64_in_float64_out = recipe.values(1, case(12, 7, 8, "gaussian", dtype=torch.float64),
                                            case(9, 5, 9, "boxcar", dtype=torch.float64))
test_inputs_not_modified = recipe.unmodified(
    0.5, case(8, 5, 10, "gaussian"), names=["x_train", "y_train", "x_val", None, None],
    hint="x_train.unsqueeze_(1), x_val.sub_(...) and the like change the caller's tensors: use reshape and "
         "out-of-place arithmetic.")
test_speed_against_reference = recipe.speed(
    1, case(200, 1000, 11, "gaussian"),
    hint="compute all query-key distances at once by broadcasting (x_train.reshape(-1, 1) - x_val.reshape(1, -1)) "
         "instead of looping over the queries in Python.")


@pytest.mark.points(1.5)
def test_gradients_match_autograd(student, device):
    """Learning a kernel's width (the book's exercise 2) backpropagates through the pooling: gradients with
    respect to x_train, y_train and x_val, of both results, against autograd of the float64 truth."""
    args = case(7, 5, 12, "gaussian")(device)
    call = about(*args)
    impl = adapter(student, device)
    recipe.checked(impl, args, requires_grad=[0, 1, 2])
    leaves = [a.detach().to(torch.float64).requires_grad_(True) for a in args[:3]]
    y_hat, w = truth(*leaves, "gaussian")
    G = [seeded(*y_hat.shape, seed=13, device=device), seeded(*w.shape, seed=14, device=device)]
    torch.autograd.backward([y_hat, w], [g.to(torch.float64) for g in G])
    got = expect_backward(impl, G, call, "build both results from the inputs with differentiable torch "
                                         "operations: no .detach(), .item(), NumPy or torch.tensor(...).")
    for i, name in enumerate(("x_train", "y_train", "x_val")):
        if got.args[i] is None:
            raise Mistake(f"no gradient reached {name} through {call}.",
                          "compute the distances, weights and predictions from the inputs with torch operations.")
        expect_close(got.args[i], leaves[i].grad.to(torch.float32), f"the gradient of {call} with respect to {name}",
                     "compute the distances, weights and predictions from the inputs with torch operations.")


@pytest.mark.points(1)
def test_results_on_the_inputs_device(student, device):
    # Hand-written: the result is a pair. On "meta" tensors (shapes without data; a fixed device fails there as
    # on a GPU, so this runs on a CPU-only machine too) only a device mismatch counts.
    real = case(6, 4, 15, "gaussian")(device)
    got = recipe.checked(adapter(student, device), real).value
    for part, name in ((0, "y_hat"), (1, "attention_w")):
        sent = str(getattr(got[part], "sent_from", device))
        if torch.device(sent).type != device.type:
            raise Mistake(f"{about(*real)}: its {name} came back on {sent}, not on {device.type}.", DEVICE_HINT)
    args = (torch.empty(6, device="meta"), torch.empty(6, device="meta"), torch.empty(4, device="meta"),
            "gaussian", 1.0)
    call = about(*args) + ", with inputs on another device"
    try:
        got = recipe.call(adapter(student, device), args).value
    except StudentError as e:
        if "device" in e.message.lower():
            as_mistake(e, call, DEVICE_HINT)
        return
    for part, name in ((0, "y_hat"), (1, "attention_w")):
        value = got[part] if isinstance(got, (tuple, list)) and len(got) == 2 else None
        if isinstance(value, torch.Tensor) and getattr(value, "sent_from", "meta") != "meta":
            raise Mistake(f"{call}: its {name} came back on {value.sent_from}, not on the inputs' device.",
                          DEVICE_HINT)
