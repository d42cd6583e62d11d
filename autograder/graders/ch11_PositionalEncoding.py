"""Grader for ch11-PositionalEncoding: `PositionalEncoding(num_hiddens, dropout, max_len=1000)` (book 11.6.3).

The truth of the table is the formula evaluated in float64, column by column: with d = num_hiddens, column
c = 2j holds sin(i / 10000^(2j/d)) and column c = 2j + 1 holds cos(i / 10000^(2j/d)), i = 0, ..., max_len - 1.
That defines an odd d too, as the lesson says: its last column (c = d - 1, even) is a sine without a cosine
partner, and the exponent uses d itself. The book's listing fails for an odd d (it assigns (d + 1) / 2 cosine
columns to (d - 1) / 2 places): it loses test_table_for_odd_num_hiddens only.

The book builds the table in float32; the rounding of the angle i / 10000^(2j/d) grows with the position i, so
the tolerance does too (`table_atol`). forward adds P[:, :n] to X (n = X.shape[1]) and drops out the sum, in
training mode only; the result keeps X's dtype and device. The forward tests add the student's own self.P (where it
is a sinusoidal table of the right shape at all, see `own_table`), so that a wrong formula costs the two table tests
(4 points) and not every test.
"""
import math

import pytest
import torch

from autograder.checks import (FATAL, Mistake, StudentError, as_mistake, expect_backward, expect_close,
                               expect_on_input_device, expect_shape, first_matching_hint, seeded)

SIGNATURE_HINT = "keep the book's signature: PositionalEncoding(num_hiddens, dropout, max_len=1000)."
P_HINT = ("keep the table in self.P, a tensor of shape (1, max_len, num_hiddens) made in __init__ (the demo and "
          "the book read it from there).")
FORMULA_HINT = ("P[0, i, 2j] = sin(i / 10000^(2j / num_hiddens)) and P[0, i, 2j + 1] = cos(i / 10000^(2j / "
                "num_hiddens)), for the positions i = 0, 1, ..., max_len - 1.")
ODD_HINT = ("with an odd num_hiddens there are (num_hiddens + 1) / 2 even columns (sines) but only (num_hiddens - 1) "
            "/ 2 odd ones (cosines): fill P[:, :, 1::2] with the cosines of the first num_hiddens // 2 angle "
            "columns, e.g. torch.cos(X[:, :num_hiddens // 2]).")
DEVICE_HINT = ("self.P lives where __init__ made it (the CPU), while X may be on a GPU: add "
               "self.P[:, :X.shape[1], :].to(X.device), as the book does (or register P as a buffer, which "
               "moves with the module). Make any new tensor in forward on X's device.")
SLICE_HINT = ("add the table's first n rows, n = X.shape[1] (axis 1 of X counts the positions, axis 0 the "
              "examples): X + self.P[:, :X.shape[1], :].")
DROPOUT_HINT = "return self.dropout(X + P[:, :n]) with self.dropout = nn.Dropout(dropout): the sum is dropped out."
EVAL_HINT = ("after .eval() dropout does nothing: use an nn.Dropout module (it follows the module's mode); "
             "F.dropout(x, p) without training=self.training drops in eval mode too.")
DTYPE_HINT = ("the result keeps X's dtype: build P in float32 as the book does (float32 + float64 gives float64 "
              "for float64 inputs, as it should), or add self.P[:, :n].to(X.device, X.dtype).")


def table_atol(max_len):
    """float32 rounds the angle i / 10000^(2j/d) by up to about 6e-8 * i: a sound table is this close."""
    return 1e-5 + 5e-7 * max_len


def angles(d, max_len, device, exponent_of=None, first_position=0, dims=None):
    """(max_len, d) float64 angles i / 10000^(2j/d) for column c = 2j or 2j + 1 (exponent_of(c): mistakes)."""
    c = torch.arange(d, device=device, dtype=torch.float64)
    e = (2 * torch.div(c, 2, rounding_mode="floor") / (dims or d)) if exponent_of is None else exponent_of(c)
    i = torch.arange(first_position, first_position + max_len, device=device, dtype=torch.float64)
    return i[:, None] / torch.pow(10000.0, e)[None, :]


def table(d, max_len, device, sines_on_even=True, halves=False, **kw):
    """The float64 table (1, max_len, d); the keyword variants model the usual mistakes."""
    A = angles(d, max_len, device, **kw)
    even = (torch.arange(d, device=device) % 2 == 0)
    if halves:   # sines in the first half, cosines in the second (another layout, not the book's)
        even = torch.arange(d, device=device) < (d + 1) // 2
        pair = torch.cat([torch.arange((d + 1) // 2), torch.arange(d // 2)]).to(device, torch.float64)
        A = torch.arange(max_len, device=device, dtype=torch.float64)[:, None] / torch.pow(10000.0, 2 * pair / d)
    if not sines_on_even:
        even = ~even
    return torch.where(even, torch.sin(A), torch.cos(A))[None]


def wrong_tables(d, max_len, device) -> dict:
    """Hint -> the table that mistake makes (computed only when reached)."""
    def last_column_zero():
        P = table(d, max_len, device)
        P[..., -1] = 0
        return P
    odd = {} if d % 2 == 0 else {
        f"the exponent uses num_hiddens itself ({d}): a table built for {d + 1} (or {d - 1}) columns and cut or "
        "padded to size has other frequencies in every column. " + ODD_HINT: [
            lambda: table(d + 1, max_len, device)[..., :d], lambda: table(d, max_len, device, dims=d - 1),
            lambda: table(d, max_len, device, dims=d + 1)],
        f"the last column (c = {d - 1}, even) is a sine as well: sin(i / 10000^({d - 1} / {d})). " + ODD_HINT:
            last_column_zero,
    }
    return {
        "the exponent is 2j / num_hiddens for both columns 2j and 2j + 1 of a pair (j counts the pairs): divide by "
        "torch.pow(10000, torch.arange(0, num_hiddens, 2) / num_hiddens). " + FORMULA_HINT: [
            lambda: table(d, max_len, device, exponent_of=lambda c: torch.div(c, 2, rounding_mode="floor") / d),
            lambda: table(d, max_len, device, exponent_of=lambda c: c / d)],
        "sines go in the even columns (0, 2, 4, ...) and cosines in the odd ones; yours are the other way round. "
        + FORMULA_HINT: lambda: table(d, max_len, device, sines_on_even=False),
        "the book interleaves the columns: sin in P[:, :, 0::2], cos in P[:, :, 1::2], not all the sines first and "
        "the cosines after them. " + FORMULA_HINT: lambda: table(d, max_len, device, halves=True),
        "the positions start at 0: row i of P is position i = 0, 1, ..., max_len - 1 (torch.arange(max_len)). "
        + FORMULA_HINT: lambda: table(d, max_len, device, first_position=1),
        **odd,
    }


def describe(d, dropout, max_len=None, X=None, mode=""):
    made = f"PositionalEncoding({d}, {dropout}" + ("" if max_len is None else f", max_len={max_len}") + ")"
    if X is None:
        return made
    return f"{made}{mode}(X) for X of shape {tuple(X.shape)}, {str(X.dtype).replace('torch.', '')}"


def layer(student, d, dropout, max_len=None):
    kwargs = {} if max_len is None else {"max_len": max_len}
    try:
        return student.new(d, dropout, seed=0, **kwargs)
    except StudentError as e:
        hint = SIGNATURE_HINT if e.type == "TypeError" else ODD_HINT if d % 2 and "size" in e.message else ""
        as_mistake(e, describe(d, dropout, max_len), hint)


def read_P(obj, call):
    try:
        P = obj.bound("P.detach").run().value
    except StudentError as e:
        if e.type == "AttributeError":
            raise Mistake(f"{call} has no table self.P ({e.message}).", P_HINT) from None
        as_mistake(e, f"reading self.P of {call}", P_HINT)
    if not isinstance(P, torch.Tensor):
        raise Mistake(f"self.P of {call} is not a tensor.", P_HINT)
    return P


def check_table(P, d, max_len, call, device):
    expect_shape(P, (1, max_len, d), call, "P has shape (1, max_len, num_hiddens): a batch axis of size 1, a row "
                                           "per position, a column per encoding dimension.")
    if not P.is_floating_point():
        raise Mistake(f"{call} holds an integer table ({P.dtype}).", "make the table of floats (float32, as the "
                                                                     "book).")
    expected = table(d, max_len, device)
    hint = lambda: first_matching_hint(P, wrong_tables(d, max_len, device),  # noqa: E731 - made only on failure
                                       default=FORMULA_HINT, atol=2 * table_atol(max_len))
    expect_close(P, expected, call, hint, rtol=1e-4, atol=table_atol(max_len), check_dtype=False)


def error_hint(e: StudentError):
    message = e.message.lower()
    if "in-place" in message:
        return "X += ... writes into X (here a tensor that requires a gradient): compute X = X + self.P[...]."
    if "device" in message:
        return DEVICE_HINT
    if "must match the size" in message or "broadcast" in message:
        return SLICE_HINT
    return ""


def forward(obj, X, call, **run):
    try:
        return obj.run(X, **run).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))


def own_table(obj, d, max_len, device):
    """The table the forward tests add: the student's own self.P, so that a wrong formula costs the table tests
    only; the true one where theirs is missing or no sinusoidal table at all (another shape, values outside [-1, 1],
    nearly constant)."""
    try:
        P = obj.bound("P.detach").run().value
    except StudentError as e:
        if e.type in FATAL or e.type == "NotImplementedError":
            raise
        P = None
    truth = table(d, max_len, device)
    if not isinstance(P, torch.Tensor) or tuple(P.shape) != (1, max_len, d) or not P.is_floating_point():
        return truth
    P = P.to(device, torch.float64)
    if not bool(torch.isfinite(P).all()) or P.abs().max().item() > 1 + 1e-4 or P.std().item() < 0.1:
        return truth
    return P


def diagnose_sum(got, X, P):
    expected = X.double() + P[:, :X.shape[1]]
    if isinstance(got, torch.Tensor) and bool((got == 0).any()) and not bool((expected == 0).any()):
        return "some elements are 0, as if dropped out: " + EVAL_HINT
    return first_matching_hint(got, {"forward must add the table: X + self.P[:, :X.shape[1], :].": X},
                               default="forward returns X + P[:, :n] (then dropout), n = X.shape[1].")


def check_sum(got, X, P, call):
    """got is X + P[:, :n] (P: the table from own_table); the dtype is test_result_keeps_dtype_and_device's."""
    expected = X.to(torch.float64) + P[:, :X.shape[1]]
    expect_shape(got, X.shape, call, SLICE_HINT)
    expect_close(got, expected, call, lambda: diagnose_sum(got, X, P), rtol=1e-4, atol=table_atol(X.shape[1]),
                 check_dtype=False)


def positive(*shape, seed, device, dtype=torch.float32):
    """Inputs from 3 to 4: X + P (P within [-1, 1]) is never 0, so a 0 in the output means "dropped"."""
    return seeded(*shape, seed=seed, dtype=dtype, device=device, shift=3.0, uniform=True)


@pytest.mark.points(2.5)
def test_table_for_even_num_hiddens(student, device):
    for d, max_len in [(32, 60), (6, None), (2, 7)]:
        obj = layer(student, d, 0.0, max_len)
        call = f"self.P of {describe(d, 0.0, max_len)}"
        check_table(read_P(obj, call), d, 1000 if max_len is None else max_len, call, device)


@pytest.mark.points(1.5)
def test_table_for_odd_num_hiddens(student, device):
    for d, max_len in [(7, 20), (33, 100), (1, 5)]:
        obj = layer(student, d, 0.0, max_len)
        call = f"self.P of {describe(d, 0.0, max_len)}"
        check_table(read_P(obj, call), d, max_len, call, device)


@pytest.mark.points(2)
def test_adds_the_table_to_X(student, device):
    # sequences shorter than the table, as long as it, of one position; a batch of 1; float64
    for (B, n, d, max_len), dtype, seed in [((2, 7, 8, 50), torch.float32, 1), ((3, 50, 8, 50), torch.float32, 2),
                                            ((1, 1, 6, 10), torch.float32, 3), ((3, 12, 6, 1000), torch.float64, 4)]:
        obj = layer(student, d, 0.5, max_len)
        obj.eval()
        X = seeded(B, n, d, seed=seed, dtype=dtype, device=device)
        call = describe(d, 0.5, max_len, X, mode=" after .eval()")
        check_sum(forward(obj, X, call), X, own_table(obj, d, max_len, device), call)


@pytest.mark.points(1.5)
def test_dropout_only_in_training(student, device):
    d, p = 16, 0.3
    X = positive(4, 50, d, seed=5, device=device)
    obj = layer(student, d, p, 60)
    call = describe(d, p, 60, X, mode=" in training mode")
    got = forward(obj, X, call, seed=1)
    expect_shape(got, X.shape, call, SLICE_HINT)
    g, P = got.double(), own_table(obj, d, 60, device)[:, :X.shape[1]]
    full, atol = X.double() + P, 2 * table_atol(X.shape[1])
    dropped = g == 0
    kept = torch.isclose(g, full / (1 - p), rtol=1e-4, atol=atol)
    if not (kept | dropped).all():
        before = g - P   # dropout applied to X alone, the table added after it: dropped places hold P
        if ((before.abs() < atol) | torch.isclose(before, X.double() / (1 - p), rtol=1e-4, atol=atol)).all():
            raise Mistake(f"{call} dropped out elements of X before adding the table: the dropped places hold "
                          "P's values, not 0.", DROPOUT_HINT)
        if torch.allclose(g, full, rtol=1e-4, atol=atol):
            raise Mistake(f"{call} dropped no element: in training mode about {p:.0%} of X + P should be 0 and the "
                          f"rest divided by 1 - {p}.", DROPOUT_HINT)
        bad = int((~(kept | dropped)).sum())
        raise Mistake(f"{call}: {bad} of {g.numel()} elements are neither 0 (dropped) nor (X + P) / (1 - {p}) "
                      "(kept).", DROPOUT_HINT + " nn.Dropout divides the kept elements by 1 - dropout.")
    n = X.numel()
    rate = dropped.double().mean().item()
    bound = 5 * math.sqrt(p * (1 - p) / n) + 1 / n
    if abs(rate - p) > bound:
        raise Mistake(f"{call} set {rate:.3f} of the {n} elements to 0; with dropout = {p}, about {p} should be "
                      f"(allowed: {p} +- {bound:.3f}).", "nn.Dropout(dropout) drops each element with probability "
                                                         "dropout." + ("" if rate else " " + DROPOUT_HINT))
    obj.eval()
    call = describe(d, p, 60, X, mode=" after .eval()")
    first, second = forward(obj, X, call, seed=2), forward(obj, X, call, seed=3)
    expect_shape(first, X.shape, call, SLICE_HINT)
    expect_close(second, first, call + ", called a second time (it should give the same output)", EVAL_HINT,
                 check_dtype=False)
    check_sum(first, X, own_table(obj, d, 60, device), call)


@pytest.mark.points(1)
def test_result_keeps_dtype_and_device(student, device):
    X = seeded(2, 9, 10, seed=6, device=device)
    obj = layer(student, 10, 0.0, 20)
    obj.eval()
    call = describe(10, 0.0, 20, X)
    got = forward(obj, X, call)
    expect_shape(got, X.shape, call, SLICE_HINT)
    check_sum(got, X, own_table(obj, 10, 20, device), call)
    if got.dtype != X.dtype:
        raise Mistake(f"{call} returned dtype {got.dtype}, expected {X.dtype}.", DTYPE_HINT)
    sent = str(getattr(got, "sent_from", device))
    if torch.device(sent).type != device.type:
        raise Mistake(f"{call} with X on {device.type} returned a tensor on {sent}.", DEVICE_HINT)
    # the module moved to the "meta" device, X there too: a table or a new tensor left on the CPU shows
    obj = layer(student, 10, 0.0, 20)
    obj.eval()
    obj.method("to", "meta")
    meta = torch.empty(2, 9, 10, device="meta")
    call = describe(10, 0.0, 20, meta) + " with the module and X on another device"
    try:
        got = obj.run(meta).value
    except StudentError as e:
        got = e
    expect_on_input_device(got, call, DEVICE_HINT, shape=(2, 9, 10))


@pytest.mark.points(0.5)
def test_input_not_modified(student, device):
    X = seeded(2, 6, 8, seed=7, device=device)
    obj = layer(student, 8, 0.0, 10)
    obj.eval()
    call = describe(8, 0.0, 10, X)
    try:
        out = obj.run(X, return_args=True)
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    check_sum(out.value, X, own_table(obj, 8, 10, device), call)
    if not torch.equal(out.args[0], X):
        raise Mistake(f"{call} changed its input X in place; the caller's tensor must stay as it was.",
                      "X += self.P[...] writes into the caller's X: compute a new tensor, X = X + self.P[...].")


@pytest.mark.points(0.5)
def test_gradient_reaches_X(student, device):
    X = seeded(2, 6, 8, seed=8, dtype=torch.float64, device=device)
    obj = layer(student, 8, 0.5, 10)
    obj.eval()
    call = describe(8, 0.5, 10, X, mode=" after .eval()")
    P = own_table(obj, 8, 10, device)   # read before the call: backward follows the last call
    try:
        got = obj.run(X, requires_grad=[0]).value
    except StudentError as e:
        as_mistake(e, call, error_hint(e))
    check_sum(got, X, P, call)
    G = seeded(2, 6, 8, seed=9, dtype=torch.float64, device=device)
    grads = expect_backward(obj, [G], call, "build the result from X with torch operations (X + P), without "
                                            "detaching it.")
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached X through {call}.", "build the result from X with torch operations.")
    expect_close(grads.args[0], G, f"the gradient of {call} with respect to X",
                 "the table is a constant: the gradient of X + P with respect to X is the output's gradient itself.")


@pytest.mark.points(0.5)
def test_table_is_not_a_parameter(student, device):
    obj = layer(student, 8, 0.0, 10)
    call = describe(8, 0.0, 10)
    read_P(obj, f"self.P of {call}")
    try:
        names = obj.parameter_names()
    except StudentError as e:
        if e.type in FATAL:
            raise
        names = []
    if names:
        raise Mistake(f"{call} has learnable parameters {names}; the sinusoidal table is fixed, not learned.",
                      "keep P a plain tensor (self.P = torch.zeros(...), as the book) or a buffer "
                      "(self.register_buffer('P', ...)), not an nn.Parameter: an optimizer would change it.")
