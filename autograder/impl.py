"""What a grader holds: "an implementation" of the exercise, wherever its code actually runs.

The `student` and `reference` fixtures are `Implementation`s. Calling one sends a request to a
`Session` (in a sandboxed worker, or in this process for `grade_callable`) and returns plain tensors
rebuilt by the trusted side. Errors raised by the code come back as `StudentError`; a worker that hangs,
crashes or runs out of memory surfaces as `Unavailable`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from . import static
from .sandbox import Limits, Worker, WorkerGone
from .session import Session


class StudentError(Exception):
    def __init__(self, error: dict):
        self.type = str(error.get("type", "Error"))[:100]
        self.message = str(error.get("message", ""))[:2000]
        self.where = str(error.get("where", ""))[:2000]
        super().__init__(f"{self.type}: {self.message}")


class Unavailable(Exception):
    """The code could not be run at all (stopped, crashed, not defined)."""


@dataclass
class Outcome:
    value: object
    args: list | None = None
    seen: list = field(default_factory=list)


@dataclass
class Grads:
    args: list
    params: dict


def _clone(v):
    if isinstance(v, torch.Tensor):
        return torch.empty_like(v) if v.device.type == "meta" else v.detach().clone()
    if isinstance(v, (list, tuple)):
        return type(v)(_clone(x) for x in v)
    if isinstance(v, dict):
        return {k: _clone(x) for k, x in v.items()}
    return v


# errors after which more checks would only burn the same time again
FATAL = {"CellTimeout": "ran longer than the time limit and was stopped (a loop that never ends?)",
         "MemoryError": "ran out of memory (the limit is a few GB)"}
MAX_STRIKES = 2


class _Transport:
    generation = 0
    gone = None
    strikes = 0
    source = ""            # the student's own code (solution and added cells): screened for tampering
    solution_source = ""   # the solution cell alone: where naming the banned library op counts as using it

    def note_error(self, error: dict):
        """Count hangs and memory blow-ups; after a few, the exercise's remaining checks are not run."""
        if error.get("type") in FATAL:
            self.strikes += 1
            if self.strikes >= MAX_STRIKES:
                self.gone = (f"Your code {FATAL[error['type']]} in {self.strikes} checks; "
                             "the remaining checks of this exercise were not run.")


class LocalTransport(_Transport):
    """In-process: same requests, copied tensors both ways so nothing aliases the grader's data."""

    def __init__(self, session: Session):
        self.session = session
        self.load_report = []

    def request(self, msg, timeout=None):
        if self.gone:
            raise Unavailable(self.gone)
        return _clone(self.session.handle(_clone(msg)))

    def close(self):
        pass


class RemoteTransport(_Transport):
    """A sandboxed worker running `cells`; replaced by a fresh one (a few times) if it dies."""

    def __init__(self, cells, device="cpu", limits: Limits = Limits(), hide=()):
        self.cells, self.device, self.limits, self.hide = cells, device, limits, hide
        self.worker = None
        self.respawns_left = limits.respawns
        self.load_report = []

    def _start(self):
        self.worker = Worker(self.device, self.limits, self.hide)
        self.generation += 1
        timeout = self.limits.call_seconds * max(1, len(self.cells)) + 5
        reply = self.worker.request({"op": "load", "cells": self.cells,
                                     "cell_timeout": self.limits.call_seconds}, timeout=timeout)
        self.load_report = reply.get("cells", []) if reply.get("ok") else []

    def request(self, msg, timeout=None):
        if self.gone:
            raise Unavailable(self.gone)
        try:
            if self.worker is None:
                self._start()
            return self.worker.request(msg, timeout)
        except WorkerGone as e:
            self.worker = None
            self.respawns_left -= 1
            reason = f"Your code was stopped: {e}."
            if self.respawns_left < 0:
                self.gone = reason + " The remaining checks of this exercise were not run."
            raise Unavailable(reason) from None

    def close(self):
        if self.worker is not None:
            self.worker.close()
            self.worker = None


class _Caller:
    """Shared by Implementation (calls the exercise's symbol) and Instance (calls an object)."""

    def _request(self, msg, timeout=None):
        reply = self.transport.request(msg, timeout)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            self.transport.note_error(error)
            raise StudentError(error)
        return reply

    def _target(self):
        raise NotImplementedError

    def run(self, *args, kwargs=None, requires_grad=(), seed=None, grad_enabled=True,
            return_args=False, watch=None, timeout=None) -> Outcome:
        reply = self._request({"op": "call", **self._target(), "args": list(args), "kwargs": kwargs or {},
                               "requires_grad": list(requires_grad), "seed": seed,
                               "grad_enabled": grad_enabled, "return_args": return_args,
                               "watch": watch}, timeout)
        value = _to(reply.get("value"), self.device)
        argv = _to(reply.get("args"), self.device) if return_args else None
        seen = set(reply.get("seen", []))
        if watch and self.transport.solution_source:   # what the worker reports, and what the text shows
            # (a scratch cell comparing with the library op is no use of it: calls are recorded at run time)
            seen |= static.banned_names(self.transport.solution_source, watch.get("functions", []))
        return Outcome(value, argv, sorted(seen))

    def __call__(self, *args, **kwargs):
        return self.run(*args, kwargs=kwargs).value

    def backward(self, grad_outputs) -> Grads:
        reply = self._request({"op": "backward", "grad_outputs": list(grad_outputs)})
        return Grads(_to(reply.get("args", []), self.device), _to(reply.get("params", {}), self.device))

    def time(self, *args, repeat=1, kwargs=None, seed=None, grad_enabled=False, timeout=None) -> float:
        """Wall time of `repeat` calls, measured here: code under test cannot fake its own clock."""
        msg = {"op": "time", **self._target(), "args": list(args), "kwargs": kwargs or {},
               "seed": seed, "grad_enabled": grad_enabled, "repeat": repeat}
        start = time.perf_counter()
        self._request(msg, timeout)
        return time.perf_counter() - start


class Implementation(_Caller):
    def __init__(self, transport, symbol: str, device: torch.device, label: str = "student"):
        self.transport, self.symbol, self.device, self.label = transport, symbol, torch.device(device), label

    def _target(self):
        return {"symbol": self.symbol}

    def defined(self) -> bool:
        reply = self.transport.request({"op": "defined", "symbol": self.symbol})
        return bool(reply.get("ok") and reply.get("defined"))

    def new(self, *args, seed=None, **kwargs) -> "Instance":
        reply = self._request({"op": "new", "symbol": self.symbol, "args": list(args), "kwargs": kwargs,
                               "seed": seed})
        return Instance(self, int(reply["handle"]))

    def close(self):
        self.transport.close()


class Instance(_Caller):
    """An object built by `Implementation.new` that lives where the code runs."""

    def __init__(self, owner: Implementation, handle: int, method: str = "__call__"):
        self.owner, self.handle, self.method_name = owner, handle, method
        self.transport, self.device = owner.transport, owner.device
        self.generation = owner.transport.generation

    def bound(self, name: str) -> "Instance":
        """The same object, calling its method or submodule `name` (e.g. "transpose_qkv", "W_q")."""
        other = Instance(self.owner, self.handle, name)
        other.generation = self.generation
        return other

    def _request(self, msg, timeout=None):
        if self.transport.generation != self.generation:
            raise Unavailable("this object was lost when an earlier check stopped your code")
        return super()._request(msg, timeout)

    def _target(self):
        return {"handle": self.handle, "method": self.method_name}

    def method(self, name, *args):
        self._request({"op": "method", "handle": self.handle, "method": name, "args": list(args)})
        return self

    def eval(self):
        return self.method("eval")

    def train(self):
        return self.method("train")

    def set(self, name, value):
        self._request({"op": "set", "handle": self.handle, "name": name, "value": value})

    def state(self) -> dict:
        return _to(self._request({"op": "state", "handle": self.handle}).get("state", {}), self.device)

    def parameter_names(self) -> list[str]:
        """named_parameters() of the object, in order (a tied parameter once)."""
        return [str(n) for n in self._request({"op": "state", "handle": self.handle}).get("parameters", [])]


def _to(v, device):
    if isinstance(v, torch.Tensor):
        return v if v.device.type == "meta" else _keep(v, v.to(device))
    if isinstance(v, (list, tuple)):
        return type(v)(_to(x, device) for x in v)
    if isinstance(v, dict):
        return {k: _to(x, device) for k, x in v.items()}
    return v


def _keep(src, dst):
    if hasattr(src, "sent_from") and dst is not src:
        dst.sent_from = src.sent_from
    elif not hasattr(dst, "sent_from"):
        dst.sent_from = str(src.device)
    return dst
