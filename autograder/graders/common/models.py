"""What ch03's class graders share: building the student's object and reading its attributes.

The protocol sends tensors, not objects, so an attribute is read by calling a method on it through the object
(`inst.bound("w.detach")` calls `obj.w.detach()` where the object lives): that works for an `nn.Parameter`
and for a plain tensor attribute alike, which `Instance.state()` (a module's state_dict) does not.
"""
import torch

from autograder.checks import Mistake, StudentError, as_mistake


def build(student, call: str, *args, hint: str = "", seed=0, **kwargs):
    """student.new(*args, **kwargs) from `seed`, its errors as Mistakes that name `call`; the untouched stub's
    NotImplementedError stays what it is."""
    try:
        return student.new(*args, seed=seed, **kwargs)
    except StudentError as e:
        as_mistake(e, call, hint if e.type == "TypeError" else "")


def read(inst, path: str, what: str, hint: str):
    """The tensor at attribute `path` ("w", "w.grad") of the object, or a Mistake naming `what` is missing."""
    try:
        value = inst.bound(f"{path}.detach").run().value
    except StudentError as e:
        if e.type == "AttributeError":
            raise Mistake(f"{what}: {e.message}.", hint) from None
        as_mistake(e, f"reading {what}", hint)
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{what} is not a tensor.", hint)
    return value


def flag(inst, path: str) -> bool:
    """A boolean attribute, e.g. "w.requires_grad" (read as obj.w.requires_grad.__bool__())."""
    return bool(inst.bound(f"{path}.__bool__").run().value)


def device_of(t: torch.Tensor) -> str:
    """Where a tensor that came back lived: "meta" tensors come back as such, others carry `sent_from`."""
    return "meta" if t.device.type == "meta" else str(getattr(t, "sent_from", t.device)).split(":")[0]
