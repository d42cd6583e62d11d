"""Grader for ch07-corr2d: `corr2d(X, K)`, the 2-D cross-correlation of an input with a kernel (book 7.2)."""

import pytest
import torch
import torch.nn.functional as F

from autograder.checks import Mistake, expect_close, expect_fast, expect_not_used, expect_shape
from autograder.impl import FATAL, StudentError

_CONV = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "convolution", "_convolution", "conv_tbc"]
# "unfold" is both F.unfold (im2col) and Tensor.unfold (sliding windows): either cuts out the windows
BANNED = {"functions": _CONV + ["unfold", "fold", "im2col", "col2im"],
          "aten": _CONV + ["_convolution_mode", "convolution_overrideable", "cudnn_convolution",
                           "mkldnn_convolution", "miopen_convolution", "_slow_conv2d_forward", "thnn_conv2d",
                           "_nnpack_spatial_convolution", "_conv_depthwise2d", "conv_depthwise3d",
                           "slow_conv3d", "im2col", "col2im", "unfold"]}
DEVICE_HINT = ("torch.zeros((...)) (the book's listing) always makes Y as float32 on the CPU. Make it like X: "
               "torch.zeros((...), dtype=X.dtype, device=X.device), and keep the values as tensors "
               "(no .item() or float()).")
FLIP_HINT = ("you flipped the kernel: that is the convolution of signal processing. corr2d, like every "
             "convolutional layer in deep learning, computes the cross-correlation: "
             "Y[i, j] = (X[i:i + h, j:j + w] * K).sum(), with K as it is (book 7.2.1).")
VALUE_HINT = ("Y[i, j] is the elementwise product of the window X[i:i + h, j:j + w] with K, summed "
              "(h, w = K.shape).")


def rand(*shape, dtype=torch.float32, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype).to(device)


def xcorr(X, K):
    """torch's own cross-correlation (conv2d does not flip), in float64: a GPU's TF32 convolutions would
    make the expected values less exact than the answers they judge."""
    return F.conv2d(X[None, None].double(), K[None, None].double())[0, 0].to(X.dtype)


def out_shape(X, K):
    return (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)


def diagnose(X, K, got) -> str:
    """Name the usual mistake behind a wrong result, if it is one of them."""
    (n_h, n_w), (k_h, k_w) = X.shape, K.shape
    if not isinstance(got, torch.Tensor):
        return "return the tensor Y."
    shape = tuple(got.shape)
    if shape != out_shape(X, K):
        if shape == (n_h - k_h, n_w - k_w):
            return ("one row and one column short: the kernel fits in n_h - k_h + 1 positions down and "
                    "n_w - k_w + 1 across (the + 1 counts the position at offset 0).")
        if shape == (n_h - k_w + 1, n_w - k_h + 1):
            return ("you swapped the kernel's height and width: h, w = K.shape gives h rows (K.shape[0]) and "
                    "w columns (K.shape[1]).")
        return "Y has shape (X.shape[0] - h + 1, X.shape[1] - w + 1) with h, w = K.shape."
    g = got.detach().to(X.device, torch.float64)
    flips = [xcorr(X, K.flip(0, 1)), xcorr(X, K.flip(0)), xcorr(X, K.flip(1))]
    if any(torch.allclose(g, f.double(), rtol=1e-4, atol=1e-5) for f in flips):
        return FLIP_HINT
    if torch.allclose(g, xcorr(X, K).double() / (k_h * k_w), rtol=1e-4, atol=1e-5):
        return "you averaged the products (mean); corr2d sums them: (X[i:i + h, j:j + w] * K).sum()."
    return VALUE_HINT


def raised(e: StudentError, call: str, hint: str):
    """A student error as a Mistake with a hint; hangs and memory blow-ups keep their own message."""
    if e.type in FATAL or (e.type == "NotImplementedError" and not e.message):  # hang, blow-up, the stub
        raise e
    where = f"\n{e.where}" if e.where else ""
    if any(w in e.message for w in ("size of tensor", "shape", "broadcast", "non-negative")):
        hint = ("a window must have K's shape: X[i:i + h, j:j + w] with h, w = K.shape (h rows, w columns); "
                "check your loops with a kernel that is not square.")
    raise Mistake(f"{call} raised {e.type}: {e.message}{where}", hint) from None


def run(student, X, K, call, **kw):
    try:
        return student.run(X, K, **kw)
    except StudentError as e:
        raised(e, call, VALUE_HINT)


def check_values(student, X, K, call, got=None):
    got = run(student, X, K, call).value if got is None else got
    expect_close(got, xcorr(X, K), call, diagnose(X, K, got))
    return got


def about(X, K):
    return f"corr2d(X, K) for X of shape {tuple(X.shape)} and K of shape {tuple(K.shape)}"


# Gradients, from-scratch and speed count only for a correct result: a fast, library-free wrong answer
# earns nothing.


@pytest.mark.points(2)
def test_matches_conv2d(student, device):
    X, K = rand(6, 7, device=device), rand(2, 3, device=device, seed=1)
    check_values(student, X, K, about(X, K))
    X, K = rand(7, 5, device=device, seed=2), rand(3, 2, device=device, seed=3)
    check_values(student, X, K, about(X, K))


@pytest.mark.points(1)
def test_output_shape(student, device):
    for xs, ks in [((5, 8), (2, 3)), ((8, 5), (3, 2)), ((4, 9), (4, 1)), ((9, 4), (1, 3))]:
        X, K = rand(*xs, device=device, seed=4), rand(*ks, device=device, seed=5)
        got = run(student, X, K, about(X, K)).value
        expect_shape(got, out_shape(X, K), about(X, K), diagnose(X, K, got))


@pytest.mark.points(1.5)
def test_edge_cases(student, device):
    X, K = rand(4, 5, device=device, seed=6), rand(1, 1, device=device, seed=7)
    check_values(student, X, K, about(X, K) + " (a 1 x 1 kernel scales X)")
    X, K = rand(5, 3, device=device, seed=8), rand(5, 3, device=device, seed=9)
    check_values(student, X, K, about(X, K) + " (a kernel as large as X: one output, (X * K).sum())")
    X = torch.ones(6, 8, device=device)
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]], device=device)
    check_values(student, X, K, "corr2d(X, K) for the edge detector of book 7.2.3 (K = [[1, -1]])")
    X, K = rand(1, 6, device=device, seed=10), rand(1, 4, device=device, seed=11)
    check_values(student, X, K, about(X, K) + " (a single row)")


def gradients(student, X, K, G, call):
    out = run(student, X, K, call, requires_grad=[0, 1])
    check_values(student, X, K, call, out.value)
    try:
        return student.backward([G]).args
    except StudentError as e:
        raise Mistake(f"backpropagating through {call} failed: {e.type}: {e.message}",
                      "build Y from X and K with differentiable torch operations; torch.tensor(...), .item(), "
                      "float() or .detach() cut the graph.") from None


def expected_gradients(X, K, G):
    Xd, Kd = X.double().requires_grad_(True), K.double().requires_grad_(True)
    F.conv2d(Xd[None, None], Kd[None, None])[0, 0].backward(G.double())
    return Xd.grad.to(X.dtype), Kd.grad.to(K.dtype)


@pytest.mark.points(1)
@pytest.mark.parametrize("wrt", ["X", "K"])
def test_gradient(student, device, wrt):
    X, K = rand(5, 7, device=device, seed=12), rand(3, 2, device=device, seed=13)
    G = rand(*out_shape(X, K), device=device, seed=14)
    call = about(X, K)
    got = dict(zip("XK", gradients(student, X, K, G, call)))[wrt]
    expected = dict(zip("XK", expected_gradients(X, K, G)))[wrt]
    if got is None:
        raise Mistake(f"no gradient reached {wrt} through {call}.",
                      f"Y must be computed from {wrt} with torch operations: a convolutional layer learns K "
                      "this way. Do not detach, copy into Python numbers or rebuild a tensor from them.")
    expect_close(got, expected, f"the gradient of {call} with respect to {wrt}",
                 "Y[i, j] depends on X[i + a, j + b] through K[a, b] and nothing else.", check_dtype=False)


@pytest.mark.points(0.5)
def test_keeps_float64(student, device):
    X, K = rand(6, 5, dtype=torch.float64, device=device, seed=15), rand(2, 2, dtype=torch.float64,
                                                                         device=device, seed=16)
    call = about(X, K) + " in float64"
    got = run(student, X, K, call).value
    expect_shape(got, out_shape(X, K), call, diagnose(X, K, got))
    if got.dtype != torch.float64:
        raise Mistake(f"{call} returned dtype {got.dtype}; Y should have X's dtype (float64).", DEVICE_HINT)
    check_values(student, X, K, call, got)


@pytest.mark.points(1)
def test_result_on_the_inputs_device(student, device):
    # "meta" tensors have a device but no data: a Y made on the CPU cannot take their values, exactly as
    # it cannot take a GPU's, so this runs on a CPU-only machine too.
    X, K = torch.empty(7, 9, device="meta"), torch.empty(3, 4, device="meta")
    call = "corr2d(X, K) for X and K on a device other than the CPU"
    try:
        got = student(X, K)
    except StudentError as e:
        if "meta" in e.message.lower() or "device" in e.message.lower():
            raise Mistake(f"{call} raised {e.type}: {e.message}", DEVICE_HINT) from None
        raised(e, call, VALUE_HINT)
    if getattr(got, "sent_from", "meta") != "meta":
        raise Mistake(f"{call} returned a tensor on {got.sent_from}, not on X's device.", DEVICE_HINT)
    expect_shape(got, (5, 6), call, "Y has shape (X.shape[0] - h + 1, X.shape[1] - w + 1) with h, w = K.shape.")
    if device.type != "cpu":  # the real accelerator as well, where there is one
        X, K = rand(6, 7, device=device, seed=17), rand(2, 3, device=device, seed=18)
        got = check_values(student, X, K, about(X, K))
        sent = str(getattr(got, "sent_from", device))
        if torch.device(sent).type != device.type:
            raise Mistake(f"{about(X, K)} with X on {device.type} returned a tensor on {sent}.", DEVICE_HINT)


@pytest.mark.points(1)
def test_written_from_scratch(student, device):
    X, K = rand(6, 7, device=device, seed=19), rand(3, 2, device=device, seed=20)
    out = run(student, X, K, about(X, K), watch=BANNED)
    check_values(student, X, K, about(X, K), out.value)
    expect_not_used(out.seen, BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]], about(X, K),
                    "slice the windows and multiply by K yourself; F.conv2d, nn.Conv2d, F.unfold and "
                    "Tensor.unfold are what this exercise builds.")


@pytest.mark.points(1)
def test_speed_against_reference(student, reference, device):
    # Small enough that the book's loop over the 8 x 9 output positions stays within the threshold
    # (about 3x the reference's loop over 5 x 6 kernel offsets); a loop over every product is ~80x.
    X, K = rand(12, 14, device=device, seed=21), rand(5, 6, device=device, seed=22)
    check_values(student, X, K, about(X, K))
    expect_fast(student, reference, X, K, threshold=10, call=about(X, K),
                hint="loop over output positions at most (the book's listing), not over every single "
                     "product; faster still: loop over the kernel's offsets and add shifted slices of X, "
                     "Y = sum over a, b of X[a:a + Y_h, b:b + Y_w] * K[a, b].")

