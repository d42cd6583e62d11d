"""Reading a module that lives where the student's code runs (ch06 graders)."""
from autograder.checks import Mistake, StudentError, as_mistake


def parameter_names(instance) -> list[str]:
    """named_parameters() of the object (a tied parameter once), as the worker reports it with its state."""
    reply = instance._request({"op": "state", "handle": instance.handle})
    return [str(n) for n in reply.get("parameters", [])]


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
