"""Runs a notebook's code and answers the graders' requests about it.

A `Session` holds one namespace (the notebook's globals) and handles requests given as plain Python
dicts: load cells, call the exercise's symbol, build an object, run backward, time a call. The sandboxed
worker wraps it in a process and a pipe (see `worker.py`); `grade_callable` uses it in-process. Both paths
share this code, so the graders see the same behaviour either way.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import random
import signal
import traceback

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode


class CellTimeout(Exception):
    """Raised inside student code when a cell or call runs past its time limit."""


def _alarm(_signum, _frame):
    raise CellTimeout("time limit reached")


class _Deadline:
    """SIGALRM-based limit; only usable in the main thread, so a no-op elsewhere (e.g. Jupyter threads)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        import threading
        if self.seconds and threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


class _FunctionWire(TorchFunctionMode):
    """Notes calls of torch functions by name (F.softmax, torch.dropout, Tensor.softmax, ...)."""

    def __init__(self, names, seen):
        super().__init__()
        self.names, self.seen = names, seen

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in self.names:
            self.seen.add(name)
        return func(*args, **(kwargs or {}))


class _AtenWire(TorchDispatchMode):
    """Notes aten kernels by name, which catches aliases and private entry points as well."""

    def __init__(self, names, seen):
        super().__init__()
        self.names, self.seen = names, seen

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in self.names:
            self.seen.add("aten." + name)
        return func(*args, **(kwargs or {}))


def tensor_leaves(value):
    """Tensors inside a (possibly nested) value, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensor_leaves(v)]
    if isinstance(value, dict):
        return [t for k in value for t in tensor_leaves(value[k])]
    return []


class RandomState:
    """The random number generators the book's code draws from (Python's `random` and torch's), as one Session's
    own: they start from a fixed seed and move only with that Session's requests. So the same submission draws
    the same numbers at every grading (a forked worker's `random` is otherwise reseeded from the OS), and grading
    in one process, where the reference's calls come between the student's, draws what a sandboxed worker of its
    own draws. (numpy's global generator is left alone: swapping its state costs ~70 us a request, and in a
    worker it starts the same every time anyway.)"""

    SEED = 0

    def __init__(self):
        self.python = random.Random(self.SEED).getstate()
        self.torch = torch.Generator().manual_seed(self.SEED).get_state()
        self.cuda = None   # seeded when first in use

    @contextlib.contextmanager
    def active(self):
        outer = (random.getstate(), torch.get_rng_state(), _cuda_state())
        random.setstate(self.python)
        torch.set_rng_state(self.torch)
        if outer[2] is not None:
            if self.cuda is None:
                torch.cuda.manual_seed_all(self.SEED)
            else:
                torch.cuda.set_rng_state_all(self.cuda)
        try:
            yield
        finally:
            self.python, self.torch = random.getstate(), torch.get_rng_state()
            if outer[2] is not None:
                self.cuda = _cuda_state()
                torch.cuda.set_rng_state_all(outer[2])
            random.setstate(outer[0])
            torch.set_rng_state(outer[1])


def _cuda_state():
    return torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None


def describe_error(exc: BaseException) -> dict:
    """Type, message and the student's own lines of the traceback (cells are named '<...>')."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename.startswith("<")]
    where = "\n".join(
        f"  {f.filename[1:-1]}, line {f.lineno}: {(f.line or '').strip()}" for f in own[-4:])
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "where": where}


class Session:
    def __init__(self, device="cpu", call_timeout=None):
        self.ns = {"__name__": "__main__"}
        self.device = torch.device(device)
        self.call_timeout = call_timeout
        self.handles = {}
        self.last = None
        self.isolation = []   # OS-level measures in force (set by the sandboxed worker)
        self.random = RandomState()

    # -- requests -------------------------------------------------------------------------------
    def handle(self, req: dict) -> dict:
        op = req.get("op")
        fn = getattr(self, "op_" + str(op), None)
        if fn is None:
            return {"ok": False, "error": {"type": "ProtocolError", "message": f"unknown op {op!r}",
                                           "where": ""}}
        try:
            with self.random.active():
                return {"ok": True, **fn(req)}
        except BaseException as e:  # noqa: BLE001 - student code may raise anything, SystemExit too
            return {"ok": False, "error": describe_error(e)}

    def op_load(self, req):
        """Execute cells in order; a failing cell is reported and the next one still runs."""
        previous = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # lessons skip their demos while grading
        try:
            return {"cells": [self._exec_cell(c, req.get("cell_timeout")) for c in req["cells"]],
                    "isolation": list(self.isolation)}
        finally:
            if previous is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = previous

    def _exec_cell(self, cell, timeout):
        name, src = cell["name"], cell["source"]
        filename = f"<{name}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        try:
            with _Deadline(timeout):
                exec(compile(_strip_magics(src), filename, "exec"), self.ns)  # noqa: S102
            return {"name": name, "error": None}
        except BaseException as e:  # noqa: BLE001
            return {"name": name, "error": describe_error(e)}

    def op_defined(self, req):
        obj = self.ns.get(req["symbol"])
        return {"defined": obj is not None, "callable": callable(obj)}

    def _target(self, req):
        if req.get("handle") is not None:
            obj = self.handles[int(req["handle"])]
            for part in (req.get("method") or "__call__").split("."):
                obj = obj if part == "__call__" else getattr(obj, part)
            return obj
        name = req["symbol"]
        if name not in self.ns:
            raise NameError(f"name '{name}' is not defined (run the cell that defines it)")
        return self.ns[name]

    def _prepare(self, req):
        args = [self._place(a) for a in req.get("args", [])]
        kwargs = {k: self._place(v) for k, v in (req.get("kwargs") or {}).items()}
        for i in req.get("requires_grad", []):
            args[i] = args[i].detach().requires_grad_(True)
        return args, kwargs

    def _place(self, v):
        if isinstance(v, torch.Tensor) and v.device.type != "meta":
            return v.to(self.device)
        if isinstance(v, (list, tuple)):
            return type(v)(self._place(x) for x in v)
        return v

    def _invoke(self, req, args, kwargs):
        if req.get("seed") is not None:
            torch.manual_seed(int(req["seed"]))
        target = self._target(req)
        obj = self.handles.get(req.get("handle")) if req.get("handle") is not None else None
        if isinstance(obj, torch.nn.Module):
            obj.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(bool(req.get("grad_enabled", True))), _Deadline(self.call_timeout):
            return target(*args, **kwargs)

    def op_call(self, req):
        args, kwargs = self._prepare(req)
        watch = req.get("watch") or {}
        seen: set = set()
        modes = []
        if watch.get("functions"):
            modes.append(_FunctionWire(set(watch["functions"]), seen))
        if watch.get("aten"):
            modes.append(_AtenWire(set(watch["aten"]), seen))
        for m in modes:
            m.__enter__()
        try:
            value = self._invoke(req, args, kwargs)
        finally:
            for m in reversed(modes):
                m.__exit__(None, None, None)
        self.last = {"args": args, "value": value,
                     "module": self.handles.get(req.get("handle")) if req.get("handle") is not None else None}
        out = {"value": _detached(value), "seen": sorted(seen)}
        if req.get("return_args"):
            out["args"] = [_detached(a) for a in args]
        return out

    def op_time(self, req):
        args, kwargs = self._prepare(req)
        for _ in range(int(req.get("repeat", 1))):
            self._invoke(req, args, kwargs)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return {}

    def op_backward(self, req):
        if self.last is None:
            raise RuntimeError("backward requested before any call")
        outs = tensor_leaves(self.last["value"])
        grads = req["grad_outputs"]
        if len(grads) != len(outs):
            raise ValueError(f"your result has {len(outs)} tensors where {len(grads)} were expected")
        pairs = [(o, self._place(g)) for o, g in zip(outs, grads) if g is not None]
        if any(not o.requires_grad for o, _ in pairs):
            raise RuntimeError("the result is not connected to the inputs by autograd "
                               "(was it detached, built with torch.tensor(...) or under no_grad?)")
        torch.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        out = {"args": [_detached(a.grad) if isinstance(a, torch.Tensor) else None for a in self.last["args"]]}
        module = self.last["module"]
        if isinstance(module, torch.nn.Module):
            out["params"] = {n: _detached(p.grad) for n, p in module.named_parameters()}
        return out

    def op_new(self, req):
        args, kwargs = self._prepare(req)
        if req.get("seed") is not None:
            torch.manual_seed(int(req["seed"]))
        cls = self._target({"symbol": req["symbol"]})
        with _Deadline(self.call_timeout):
            obj = cls(*args, **kwargs)
        if isinstance(obj, torch.nn.Module):
            obj = obj.to(self.device)
        hid = len(self.handles) + 1
        self.handles[hid] = obj
        return {"handle": hid}

    def op_method(self, req):
        """Call a method that returns nothing we need (eval, train)."""
        obj = self.handles[int(req["handle"])]
        getattr(obj, req["method"])(*req.get("args", []))
        return {}

    def op_set(self, req):
        """Overwrite a parameter or tensor attribute by dotted name, keeping it a leaf Parameter."""
        obj = self.handles[int(req["handle"])]
        *path, last = req["name"].split(".")
        for p in path:
            obj = getattr(obj, p)
        current = getattr(obj, last)
        value = self._place(req["value"])
        if not isinstance(current, torch.Tensor) or tuple(current.shape) != tuple(value.shape):
            shape = tuple(current.shape) if isinstance(current, torch.Tensor) else type(current).__name__
            raise ValueError(f"{req['name']} should be a tensor of shape {tuple(value.shape)}, found {shape}")
        with torch.no_grad():
            current.copy_(value)
        return {}

    def op_state(self, req):
        obj = self.handles[int(req["handle"])]
        if not isinstance(obj, torch.nn.Module):
            return {"state": {}}
        return {"state": {n: _detached(t) for n, t in obj.state_dict().items()},
                "parameters": [n for n, _ in obj.named_parameters()]}


def _detached(value):
    if isinstance(value, torch.Tensor):
        return torch.Tensor.detach(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value) if isinstance(value, list) else tuple(
            _detached(v) for v in value)
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    return value


def _strip_magics(src: str) -> str:
    """IPython magics and shell escapes mean nothing outside a kernel; drop them."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
