"""Assertions for graders, each failing with a message a student can act on.

Every message says what was called, what was expected, what came back and, where one is known, the
mistake that usually causes it (`hint`). Graders import what they need from here (and the standard tests
from `recipe.py`), never from the transport underneath.
"""
from __future__ import annotations

import math
import statistics

import torch

from .impl import FATAL, StudentError, Unavailable  # noqa: F401 - what graders catch, re-exported

# (rtol, atol) per dtype: loose enough for a different but sound summation order, tight enough for bugs
TOLERANCES = {
    torch.float64: (1e-7, 1e-9),
    torch.float32: (1e-4, 1e-5),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
}


class Mistake(AssertionError):
    """A check failed; the text is shown to the student as it is. `hint` may be a function that makes the
    hint (a diagnosis that costs time), called only when a check fails."""

    def __init__(self, text: str, hint=""):
        hint = hint() if callable(hint) else hint
        super().__init__(text + (f"\nHint: {hint}" if hint else ""))


def show(t, limit: int = 6) -> str:
    """A short description of a value: shape, dtype and the first few numbers."""
    if not isinstance(t, torch.Tensor):
        return f"a {type(t).__name__} ({str(t)[:80]})"
    if t.device.type == "meta":
        return f"tensor of shape {tuple(t.shape)}"
    flat = t.detach().reshape(-1)[:limit].cpu().tolist()
    nums = ", ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in flat)
    more = ", ..." if t.numel() > limit else ""
    return f"tensor of shape {tuple(t.shape)}, {str(t.dtype).replace('torch.', '')} [{nums}{more}]"


def seeded(*shape, seed=0, dtype=torch.float32, device="cpu", scale=1.0, shift=0.0, uniform=False):
    """The one seeded input factory: shift + scale * N(0, 1) (or U[0, 1) with `uniform`), drawn in float64 on
    the CPU from its own generator, so the same seed gives the same numbers on every device and dtype."""
    g = torch.Generator().manual_seed(seed)
    draw = torch.rand if uniform else torch.randn
    return (draw(tuple(shape), generator=g, dtype=torch.float64) * scale + shift).to(dtype).to(device)


def first_matching_hint(got, candidates: dict, default: str = "", rtol=1e-3, atol=1e-5) -> str:
    """The hint of the first known wrong answer that `got` equals, else `default`. A candidate is a tensor, a
    function making one (computed only if reached), None (skipped), or a list of these (several wrong answers
    that one hint explains: any of them, in order)."""
    if not isinstance(got, torch.Tensor) or got.device.type == "meta":
        return default
    for hint, wrongs in candidates.items():
        for wrong in (wrongs if isinstance(wrongs, list) else [wrongs]):
            wrong = wrong() if callable(wrong) else wrong
            if wrong is None or not isinstance(wrong, torch.Tensor) or wrong.shape != got.shape:
                continue
            g = got.detach().to(wrong.device, torch.float64)
            if torch.allclose(g, wrong.to(torch.float64), rtol=rtol, atol=atol, equal_nan=True):
                return hint
    return default


def as_mistake(e: StudentError, call: str, hint: str = ""):
    """Raise a StudentError as a Mistake that names the call and adds a hint. Hangs, memory blow-ups and the
    untouched stub stay what they are (the plugin words those, and the strikes count hangs)."""
    if e.type in FATAL or e.type == "NotImplementedError":
        raise e
    where = f"\n{e.where}" if e.where else ""
    raise Mistake(f"{call} raised {e.type}: {e.message}{where}", hint) from None


def expect_backward(impl, grad_outputs, call: str, hint: str = ""):
    """impl.backward(grad_outputs) after a call made with requires_grad; an error there (mostly a result cut
    off the graph) becomes a Mistake that names the call (see as_mistake)."""
    try:
        return impl.backward(grad_outputs)
    except StudentError as e:
        as_mistake(e, f"backpropagating through {call}", hint)


def tolerance(dtype) -> tuple[float, float]:
    return TOLERANCES.get(dtype, (0.0, 0.0))


def expect_tensor(got, call: str, hint: str = ""):
    if not isinstance(got, torch.Tensor):
        raise Mistake(f"{call} returned {show(got)}, expected a tensor.", hint)
    return got


def expect_shape(got, shape, call: str, hint: str = ""):
    expect_tensor(got, call, hint)
    if tuple(got.shape) != tuple(shape):
        raise Mistake(f"{call} returned a tensor of shape {tuple(got.shape)}, expected shape {tuple(shape)}.",
                      hint)


def expect_finite(got, call: str, hint: str = ""):
    expect_tensor(got, call, hint)
    if got.is_floating_point() and not torch.isfinite(got).all():
        bad = (~torch.isfinite(got)).nonzero()[0].tolist()
        raise Mistake(f"{call} returned NaN or inf (first at index {tuple(bad)}: {got[tuple(bad)].item()}).",
                      hint)


def expect_close(got, expected, call: str, hint: str = "", rtol=None, atol=None, check_dtype=True):
    """Shape, dtype, finiteness, then values within the dtype's tolerance."""
    expect_shape(got, expected.shape, call, hint)
    if check_dtype and got.dtype != expected.dtype:
        raise Mistake(f"{call} returned dtype {got.dtype}, expected {expected.dtype} (keep the input's dtype).",
                      hint)
    d_rtol, d_atol = tolerance(expected.dtype)
    rtol, atol = (d_rtol if rtol is None else rtol), (d_atol if atol is None else atol)
    g, e = got.detach().to(expected.device, expected.dtype), expected.detach()
    if torch.isnan(g).any() and not torch.isnan(e).any():
        expect_finite(g, call, hint)
    ok = torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if bool(ok.all()):
        return
    diff = (g - e).abs().nan_to_num(math.inf)
    idx = tuple(int(i) for i in torch.nonzero(~ok)[0].tolist())
    worst = diff.max().item()
    raise Mistake(f"{call} is wrong at {int((~ok).sum())} of {ok.numel()} positions. At index {idx}: "
                  f"expected {e[idx].item():.6g}, got {g[idx].item():.6g} (largest difference {worst:.3g}).",
                  hint)


def expect_unmodified(before, after, name: str, call: str, hint: str = ""):
    if after is None or not torch.equal(before.to(after.device), after):
        raise Mistake(f"{call} changed its input {name} in place; the caller's tensor must stay as it was.",
                      hint or "work on a copy (X.clone()) or use out-of-place operations.")


class BannedOp(Mistake):
    """The library op the exercise re-implements was used: the exercise was not done, so it earns nothing."""


def banned_names(banned) -> list[str]:
    """A grader's BANNED dict ({"functions": [...], "aten": [...]}) as the names a watched call reports."""
    if not isinstance(banned, dict):
        return list(banned)
    return list(banned.get("functions", [])) + [f"aten.{n}" for n in banned.get("aten", [])]


def expect_not_used(seen, banned, call: str, hint: str):
    """`banned` is the grader's BANNED dict (or a list of reported names)."""
    used = sorted(set(seen) & set(banned_names(banned)))
    if used:
        raise BannedOp(f"{call} used {', '.join(used)}, which this exercise asks you to write yourself.", hint)


DEVICE_ERROR = ("device", "meta")   # words of torch's errors when tensors of two devices meet


def expect_on_input_device(got_or_error, call: str, hint: str, shape=None):
    """The result of a call made with inputs on the "meta" device (a device with no data): code that makes a
    new tensor on a fixed device fails there exactly as it would with inputs on a GPU, so this runs on a
    CPU-only machine too. Pass the returned value, or the StudentError the call raised."""
    if isinstance(got_or_error, StudentError):
        e = got_or_error
        if any(w in e.message.lower() for w in DEVICE_ERROR):
            raise Mistake(f"{call} raised {e.type}: {e.message}", hint) from None
        as_mistake(e, call)
    got = got_or_error
    if isinstance(got, torch.Tensor) and getattr(got, "sent_from", "meta") != "meta":
        raise Mistake(f"{call} returned a tensor on {got.sent_from}, not on the inputs' device.", hint)
    if shape is not None:
        expect_shape(got, shape, call)


# -- timing -------------------------------------------------------------------------------------------

def timing_ratio(student, reference, *args, threshold: float = math.inf, rounds: int = 5,
                 batch_seconds: float = 0.015, kwargs=None, grad_enabled: bool = False) -> float:
    """Student time over reference time, same inputs, same run, measured from the trusted side.

    Warm both up (the first calls on a new tensor size can be 100x slower) and measure the fixed cost of a
    request (sending the inputs, no call) to take it out of every measurement. Then single calls, student and
    reference alternating (two to five pairs, fewer when the student's calls are slow), compared by their
    fastest: noise on a shared machine only ever adds time, and alternating exposes both to the same load. A
    student far over the threshold there is done; otherwise pick a repeat count that makes one reference batch
    compute for about `batch_seconds`, then alternate student and reference batches and compare medians. A
    student far within the threshold in the single calls and in the first pair of batches is done after it.
    `grad_enabled` times with autograd on (for code that decides its mode by torch.is_grad_enabled()).
    """
    on = {"kwargs": kwargs, "grad_enabled": grad_enabled}
    for _ in range(3):
        reference.time(*args, **on)
    fixed = min(reference.time(*args, repeat=0, **on) for _ in range(3))
    r_single = [reference.time(*args, **on) - fixed for _ in range(3)]
    student.time(*args, **on, timeout=30)   # warm-up: a first call may be slow for reasons of its own
    s_single = []
    for i in range(5):
        s_single.append(student.time(*args, **on, timeout=30) - fixed)
        r_single.append(reference.time(*args, **on) - fixed)
        if i >= 1 and sum(s_single) > 1.0:   # slow calls: two are evidence enough, more only cost time
            break
    one = max(min(r_single), 1e-6)
    first = max(min(s_single), 0.0) / one
    if first > 3 * threshold:
        return first
    repeat = max(1, min(2000, math.ceil(batch_seconds / one)))
    s_times, r_times = [], []
    for k in range(rounds):
        r_times.append(reference.time(*args, repeat=repeat, **on) - fixed)
        s_times.append(student.time(*args, repeat=repeat, **on, timeout=max(30.0, 3 * threshold * one * repeat))
                       - fixed)
        if k == 0 and first <= threshold / 4 and s_times[0] <= threshold / 2 * max(r_times[0], 1e-9):
            break   # far within the threshold in two independent measurements: more rounds cannot change that
    return max(statistics.median(s_times), 0.0) / max(statistics.median(r_times), 1e-9)


def expect_fast(student, reference, *args, threshold: float, call: str, hint: str = "", kwargs=None,
                grad_enabled: bool = False, tries: int = 3):
    """Fail only if at least two (and up to `tries`) independent measurements are over the threshold: noise
    on a busy machine only ever adds time, so a correct answer is not failed by a preempted call, and a slow
    one stays slow. Two measurements far out (10x the threshold) end it early, and so does one so far out
    (100x the threshold, in every one of its alternating single calls) that no stall explains it: a Python
    loop over every element, whose calls can take seconds each."""
    ratios = []
    for _ in range(tries):
        ratios.append(timing_ratio(student, reference, *args, threshold=threshold, kwargs=kwargs,
                                   grad_enabled=grad_enabled))
        if (ratios[-1] <= threshold or ratios[-1] > 100 * threshold
                or (len(ratios) >= 2 and min(ratios) > 10 * threshold)):
            break
    ratio = min(ratios)
    if ratio <= threshold:
        return ratio
    raise Mistake(f"{call} took {ratio:.1f}x the time of the reference solution on the same input "
                  f"(allowed: up to {threshold:g}x).", hint)
