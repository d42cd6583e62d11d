"""Helpers for lessons' visible check cells (students run them; they are not the grade).

A check cell that calls an earlier exercise of the lesson (MultiHeadAttention calls masked_softmax, the
BatchNorm layer calls batch_norm) should not blame the exercise under check when the earlier one is
unfinished or wrong. `needs` runs the earlier exercise on a small input first and stops the check with a
message that points to it:

    needs("masked_softmax", lambda: masked_softmax(torch.ones(1, 2, 3), torch.tensor([2])),
          lambda P: torch.allclose(P[0, :, :2], torch.full((2, 2), 0.5)) and bool((P[0, :, 2] == 0).all()))
"""
from __future__ import annotations


class PrerequisiteWrong(AssertionError):
    """An earlier exercise that this check relies on gives a wrong answer."""


def needs(name: str, call, ok=None, uses: str = "this check"):
    """Stop `uses` early when the earlier exercise `name` is unfinished (its stub raises NotImplementedError:
    re-raised as such, naming it) or wrong (`call()` raises, or `ok(result)` is false)."""
    try:
        result = call()
    except NotImplementedError:
        raise NotImplementedError(f"finish `{name}` first: {uses} calls it, and its own check cell above shows "
                                  "what to do.") from None
    except Exception as e:  # noqa: BLE001 - any failure of the earlier exercise is reported as its own
        raise PrerequisiteWrong(f"fix `{name}` first: {uses} calls it, and it raised {type(e).__name__}: {e}. "
                                "Its own check cell above shows what is wrong.") from None
    if ok is not None and not ok(result):
        raise PrerequisiteWrong(f"fix `{name}` first: {uses} calls it, and it gives a wrong result on a small "
                                "example. Its own check cell above shows what is wrong.")
    return result
