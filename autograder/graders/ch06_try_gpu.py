"""Grader for ch06-try_gpu: `try_gpu(i=0)` returns torch.device(f'cuda:{i}') if the machine has at least i + 1 GPUs,
else the CPU; `try_all_gpus()` returns every GPU, or [cpu] when there is none (book 6.7.1; the book's listing of
try_all_gpus returns [] there, against its own docstring). Both are written in the same solution cell; the
exercise is named after the first.

A torch.device is not plain data, so it cannot cross from the sandbox to the grader. Two ways of reading one,
through the lesson's given `device_report(name, *args, pretend=None)`:
- on the grading machine: a tensor is created on each device the student's function returned, and where that
  tensor arrives (protocol: the device it was sent from) is where the device really points. The truth is the GPU
  count seen where the code runs (the sandbox may show the worker a different set of GPUs than this process sees:
  none when grading on the CPU, all of the machine's when grading on a GPU, whatever CUDA_VISIBLE_DEVICES says
  here, since the worker drops its environment), so device_report returns that count;
- pretending the machine has 0 to 3 GPUs (the lesson's `pretend_gpus`, which patches torch.cuda.device_count and
  torch.cuda.is_available while the function runs): then only the device's name, str(device), and its type come
  back. This is what catches a hard-coded 'cpu' on a machine without GPU, and a hard-coded 'cuda:0' anywhere.
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake

COUNT_HINT = ("decide when called: return gpu(i) (torch.device(f'cuda:{i}')) if num_gpus() >= i + 1, else cpu(); "
              "count with num_gpus() or torch.cuda.device_count(), and do not hard-code 'cpu' or 'cuda:0'.")
ALL_HINT = ("return [gpu(i) for i in range(num_gpus())], or [cpu()] when that list is empty (the book's docstring; "
            "its listing returns [] on a machine without GPU).")
TYPE_HINT = "return torch.device objects (cpu(), gpu(i), torch.device('cuda', i)), not strings or numbers."


def report(sibling, student, name, *args, pretend=None):
    call = f"{name}({', '.join(map(str, args))})" + (f" on a machine with {gpus(pretend)}" if pretend is not None
                                                      else " on the grading machine")
    try:
        value = sibling("device_report").run(name, *args, kwargs={"pretend": pretend}).value
    except StudentError as e:
        msg = e.message.lower()
        hint = (COUNT_HINT + " A GPU that does not exist cannot hold a tensor."
                if any(w in msg for w in ("cuda", "nvidia", "device ordinal", "gpu")) else COUNT_HINT)
        as_mistake(e, call, hint)
    if not isinstance(value, dict) or "names" not in value:
        raise Mistake(f"device_report did not report on {call}: did a cell of yours redefine it?",
                      "keep the lesson's given cells as they are.")
    return value, call


def gpus(n) -> str:
    return f"{n} GPU" + ("" if n == 1 else "s")


def same_device(name: str, want: str) -> bool:
    """'cuda' (the current GPU) counts as 'cuda:0', the GPU it is unless a program changes it."""
    try:
        got = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        return False
    want = torch.device(want)
    if got.type == "cuda" and got.index is None:
        got = torch.device("cuda", 0)
    return got == want


def expected_one(i, count):
    return f"cuda:{i}" if i < count else "cpu"


def expected_all(count):
    return [f"cuda:{i}" for i in range(count)] or ["cpu"]


def landed(value):
    return [str(getattr(t, "sent_from", t.device)) for t in value["tensors"]]


@pytest.mark.points(2.5)
def test_try_gpu_on_this_machine(sibling, student, device):
    value, call = report(sibling, student, "try_gpu")
    count = int(value["gpus"])
    for args in [(), *[(i,) for i in sorted({0, 1, count, count + 1, 10})]]:
        if args:
            value, call = report(sibling, student, "try_gpu", *args)
        i = args[0] if args else 0
        want = expected_one(i, count)
        where = landed(value)
        if len(where) != 1 or not same_device(where[0], want):
            raise Mistake(f"{call} (which has {gpus(count)}): a tensor made with device={call.split(' on ')[0]} "
                          f"landed on {where[0] if where else 'nothing'}, expected {want}.", COUNT_HINT)


@pytest.mark.points(2.5)
def test_try_gpu_for_any_number_of_gpus(sibling, student, device):
    for count in (0, 1, 2, 3):
        for i in (0, 1, 2, 3):
            value, call = report(sibling, student, "try_gpu", i, pretend=count)
            got, want = value["names"][0], expected_one(i, count)
            if not same_device(got, want):
                raise Mistake(f"{call} returned {got}, expected {want}.", COUNT_HINT)


@pytest.mark.points(1)
def test_results_are_torch_devices(sibling, student, device):
    for name, args, count in [("try_gpu", (0,), None), ("try_gpu", (1,), 2), ("try_all_gpus", (), None),
                              ("try_all_gpus", (), 2)]:
        value, call = report(sibling, student, name, *args, pretend=count)
        if name == "try_all_gpus" and value["type"] not in ("list", "tuple"):
            raise Mistake(f"{call} returned a {value['type']}, expected a list of devices.", ALL_HINT)
        wrong = [t for t in value["types"] if t != "device"]
        if wrong:
            raise Mistake(f"{call} returned {'a ' + wrong[0] if name == 'try_gpu' else 'a list holding a ' + wrong[0]}"
                          f" ({', '.join(value['names'])}), expected torch.device.", TYPE_HINT)


@pytest.mark.points(1.5)
def test_try_all_gpus_on_this_machine(sibling, student, device):
    value, call = report(sibling, student, "try_all_gpus")
    count = int(value["gpus"])
    want, where = expected_all(count), landed(value)
    if len(where) != len(want) or not all(same_device(w, e) for w, e in zip(where, want)):
        raise Mistake(f"{call} (which has {gpus(count)}): tensors made on the returned devices landed on "
                      f"{where or 'nothing (an empty list)'}, expected {want}.", ALL_HINT)


@pytest.mark.points(2.5)
def test_try_all_gpus_for_any_number_of_gpus(sibling, student, device):
    for count in (0, 1, 3):
        value, call = report(sibling, student, "try_all_gpus", pretend=count)
        got, want = value["names"], expected_all(count)
        if value["type"] not in ("list", "tuple") or len(got) != len(want) or \
                not all(same_device(g, w) for g, w in zip(got, want)):
            raise Mistake(f"{call} returned {got if value['type'] in ('list', 'tuple') else 'a ' + value['type']}, "
                          f"expected {want}.", ALL_HINT)
