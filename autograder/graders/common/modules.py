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


def given(sibling, student, name: str):
    """The lesson's given function `name`, called where the student's code runs (`sibling(name)`).

    Graded in a sandbox or by `grade_code`, every cell of the lesson has run there, so `name` is defined. Graded
    in the student's own kernel (the hidden test cell's `notebook_score`, i.e. `grade_callable`), the session holds
    the exercise's symbol alone; then `name` is taken from the namespace in which the student's function or class
    was defined (the kernel's), which is where the lesson's given cells ran. That path is in-process, not the
    trust boundary (see README), so reading the object's globals there costs nothing in safety.
    """
    session = getattr(student.transport, "session", None)   # LocalTransport only
    if session is not None and name not in session.ns:
        obj = session.ns.get(student.symbol)
        namespace = getattr(obj, "__globals__", None)
        if namespace is None and isinstance(obj, type):
            for attr in vars(obj).values():
                namespace = getattr(attr, "__globals__", None)
                if namespace is not None:
                    break
        if namespace is not None and name in namespace:
            session.ns[name] = namespace[name]
    return sibling(name)
