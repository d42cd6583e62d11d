"""Reading a module that lives where the student's code runs (ch06 graders)."""
from autograder.checks import Mistake, StudentError, as_mistake


def state(instance, call: str, hint: str = "") -> dict:
    """state_dict() of the object, with a message that names the call if reading it fails."""
    try:
        return instance.state()
    except StudentError as e:
        as_mistake(e, f"{call}.state_dict()", hint)


def expect_entries(found: dict, names, call: str, hint: str):
    missing = [n for n in names if n not in found]
    if missing:
        raise Mistake(f"{call} has no {', '.join(missing)} (it has: {', '.join(sorted(found)) or 'nothing'}).", hint)
