"""What ch10's text graders share (preprocess, tokenize, build_array, bleu): strings and lists of tokens cross the
sandbox as plain data, and messages show them short, with where they first differ."""
from autograder.checks import Mistake, StudentError, as_mistake

LIMIT = 160


def short(value, limit: int = LIMIT) -> str:
    """repr of a value, cut in the middle when long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 20] + " ... " + text[-15:]


def first_difference(got: str, want: str) -> int:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return i
    return min(len(got), len(want))


def around(text: str, i: int, width: int = 18) -> str:
    lo = max(0, i - width)
    return ("..." if lo else "") + repr(text[lo:i + width])[1:-1] + ("..." if i + width < len(text) else "")


def expect_string(got, want: str, call: str, hint=""):
    """`got` is the string `want`; otherwise a message with where they first differ."""
    if not isinstance(got, str):
        raise Mistake(f"{call} returned {type(got).__name__} {short(got)}, expected a string.", hint)
    if got == want:
        return
    i = first_difference(got, want)
    raise Mistake(f"{call} returned {short(got)}, expected {short(want)}. They first differ at character {i}: "
                  f"expected \"{around(want, i)}\", got \"{around(got, i)}\".", hint)


def run(impl, args, call, error_hint=None, **kwargs):
    """Call the student's function; an error becomes a message naming the call (and a hint for it)."""
    try:
        return impl.run(*args, **kwargs)
    except StudentError as e:
        as_mistake(e, call, error_hint(e) if error_hint else "")


def hint_for(got, candidates: dict, default: str = "") -> str:
    """The hint of the first known wrong answer (a function of nothing, computed when reached) equal to `got`."""
    for hint, make in candidates.items():
        try:
            if make() == got:
                return hint
        except Exception:  # noqa: BLE001 - a mistaken variant that cannot run on this input is not this answer
            continue
    return default
