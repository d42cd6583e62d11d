"""Trusted side of the sandbox: start a worker, talk to it with a deadline, kill it for good."""
from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import isolation, protocol
from .policy import Limits, SandboxError  # noqa: F401 - re-exported: the sandbox's limits and failure

KIT_DIR = Path(__file__).resolve().parent
GRADERS_DIR = KIT_DIR / "graders"
START_SECONDS = 60.0      # a worker that is not ready by then did not start (a loaded machine is slow)


class WorkerGone(Exception):
    """The worker stopped answering: time limit, memory, a crash or an exit in student code."""


@functools.lru_cache(maxsize=None)
def runtime_paths() -> list[str]:
    """What a worker may read: the Python runtime and the kit's runtime packages (see isolation.py)."""
    import importlib.util
    extra = [str(KIT_DIR)]
    spec = importlib.util.find_spec("d2lkit")
    if spec and spec.submodule_search_locations:
        extra += list(spec.submodule_search_locations)
    return isolation.runtime_paths(extra)


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["autograder.template"])
    return _CONTEXT


@contextlib.contextmanager
def _main_hidden():
    """multiprocessing re-runs the parent's __main__ in each child; a worker needs none of it (and the
    caller's script may do anything at import), so hide it while the child's start data is taken."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main and k in main.__dict__}
    for k in saved:
        setattr(main, k, None) if k == "__spec__" else delattr(main, k)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


class Worker:
    """One sandboxed worker process. `hide` lists course folders and files it must never see, should any
    lie inside the runtime it is shown (the graders always are hidden). Raises SandboxError if the sandbox
    does not come up whole (unless limits.allow_weak_sandbox); `measures` says what it applied."""

    def __init__(self, device: str = "cpu", limits: Limits = Limits(), hide=()):
        ctx = _context()
        self.limits, self.dead, self.init, self.seq = limits, None, None, 0
        self.scratch = tempfile.mkdtemp(prefix="autograder-")
        self.conn, child = ctx.Pipe(duplex=True)
        cuda = str(device).startswith("cuda")
        devices = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")) if cuda else []
        cfg = {"device": str(device), "scratch": self.scratch,
               "runtime": runtime_paths() + (["/sys"] if cuda else []),
               "hide": sorted({str(GRADERS_DIR), *map(str, hide)}), "devices": devices,
               "allow_weak": limits.allow_weak_sandbox, "memory_bytes": limits.memory_bytes,
               "output_bytes": limits.output_bytes, "threads": limits.threads,
               "call_timeout": limits.call_seconds, "gpu_memory_fraction": limits.gpu_memory_fraction}
        from .worker import serve
        self.proc = ctx.Process(target=serve, args=(child, cfg), daemon=True)
        try:
            with _main_hidden():
                self.proc.start()
        except Exception as e:  # noqa: BLE001 - a daemonic parent, a forkserver that died, no resources
            shutil.rmtree(self.scratch, ignore_errors=True)
            hint = (" (a daemonic process may not start processes: on Dask, start workers with "
                    "distributed.worker.daemon: false)") if multiprocessing.current_process().daemon else ""
            raise SandboxError(f"cannot start a sandboxed worker process: {e}{hint}") from None
        finally:
            child.close()
        try:
            self.measures = self._wait_ready()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> list[str]:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise SandboxError(f"the sandboxed worker was not ready within {START_SECONDS:.0f} s")
                msg = protocol.decode(self.conn.recv_bytes(1 << 16))
            except (EOFError, OSError, protocol.ProtocolError):
                raise SandboxError(f"the sandboxed worker stopped while starting: {self._death_reason()}") from None
            if msg.get("stage") == "init":   # process 1 of its pid namespace: killing it kills them all
                self.init = _Process(int(msg["pid"]))
            elif msg.get("ready"):
                measures = [str(m) for m in msg.get("measures", [])]
                missing = [m for m in isolation.required() if m not in measures]
                if missing and not self.limits.allow_weak_sandbox:
                    raise SandboxError(f"the sandbox came up without {', '.join(missing)}")
                return measures
            else:
                raise SandboxError(str(msg.get("error", "the sandbox could not be set up")))

    def request(self, msg: dict, timeout: float | None = None) -> dict:
        if self.dead:
            raise WorkerGone(self.dead)
        timeout = self.limits.call_seconds + 5 if timeout is None else timeout
        self.seq += 1
        try:
            self.conn.send_bytes(protocol.encode({**msg, "seq": self.seq}))
            if not self.conn.poll(timeout):
                self._fail(f"it ran longer than the time limit ({timeout:.0f} s) and was stopped")
            data = self.conn.recv_bytes(self.limits.reply_bytes)
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self._fail(self._death_reason())
        except OSError as e:  # recv_bytes' "bad message length": a reply over the cap
            self._fail(f"it returned more data than the grader accepts ({e})")
        try:
            reply = protocol.decode(data)
        except protocol.ProtocolError as e:
            self._fail(f"its reply was not valid ({e})")
        if not isinstance(reply, dict) or "ok" not in reply:
            self._fail("its reply was not valid")
        if reply.get("seq") != self.seq:   # e.g. a forked copy of the worker answering too
            self._fail("it answered out of turn (more than one process replied, or a reply came early)")
        return reply

    def _death_reason(self):
        self.proc.join(2)
        code = self.proc.exitcode
        if code is not None and 128 < code < 128 + signal.NSIG:   # process 1 of the sandbox died of a signal
            code = 128 - code
        if code == -signal.SIGKILL:
            return "the process was killed (most often: it used more memory than allowed)"
        if code is not None and code < 0:
            return f"the process crashed (signal {signal.Signals(-code).name})"
        return f"the process exited (exit status {code}: os._exit, sys.exit or a crash in native code)"

    def _fail(self, reason):
        self.dead = reason
        self.close()
        raise WorkerGone(reason)

    def close(self):
        if self.init is not None:
            self.init.kill()
        if self.proc.pid is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if self.proc.is_alive():  # killed before it made its own process group
                self.proc.kill()
            self.proc.join(5)
            # anything it left behind: processes that changed their group, or daemonised
            if os.geteuid() == 0:
                isolation.kill_user(isolation.worker_uid(self.proc.pid))
        self.conn.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Process:
    """A process known by pid, held by a pidfd where the kernel has them, so that a kill can never reach
    another process that reused the pid."""

    def __init__(self, pid: int):
        self.pid, self.fd = pid, None
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass

    def kill(self):
        try:
            if self.fd is not None:
                signal.pidfd_send_signal(self.fd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# -- proving the sandbox on this machine ------------------------------------------------------------------

CANARY = '''
import errno, os, socket
import torch

def canary(X):
    return torch.tanh(X) * 2

def canary_probe(kit_file, secret):
    """What this process can see and do: the trusted side compares it with the measures claimed."""
    found = {"pid": os.getpid(), "uid": os.getuid(), "secret_visible": os.path.exists(secret)}
    try:
        with open(kit_file + ".canary", "w"):
            pass
        found["kit_writable"] = True
        os.unlink(kit_file + ".canary")
    except OSError:
        found["kit_writable"] = False
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 9))
        found["network"] = "connected"
    except OSError as e:
        found["network"] = "unreachable" if e.errno == errno.ENETUNREACH else "reachable"
    finally:
        s.close()
    try:
        caps = [l for l in open("/proc/self/status") if l.startswith("CapEff:")][0].split()[1]
        found["capabilities"] = int(caps, 16)
    except (OSError, IndexError):
        found["capabilities"] = 0
    return [f"{k}={v}" for k, v in found.items()]
'''


def probe_failures(measures, found: dict) -> list[str]:
    """Measures claimed but not seen from inside the worker."""
    bad = []
    if isolation.PID_NAMESPACE in measures and found.get("pid") != "1":
        bad.append(f"{isolation.PID_NAMESPACE}: the worker is process {found.get('pid')}, not 1")
    if isolation.PRIVATE_ROOT in measures and (found.get("kit_writable") != "False"
                                               or found.get("secret_visible") != "False"):
        bad.append(f"{isolation.PRIVATE_ROOT}: the kit is writable or the course is visible ({found})")
    if isolation.NO_NETWORK in measures and found.get("network") != "unreachable":
        bad.append(f"{isolation.NO_NETWORK}: the network is {found.get('network')}")
    if isolation.NO_CAPABILITIES in measures and found.get("capabilities") != "0":
        bad.append(f"{isolation.NO_CAPABILITIES}: capabilities {found.get('capabilities')}")
    if isolation.OWN_UID in measures and int(found.get("uid", "0")) < isolation.UID_BASE:
        bad.append(f"{isolation.OWN_UID}: runs as uid {found.get('uid')}")
    return bad


def prove(device="cpu", limits: Limits = Limits(), hide=(), secret: str | None = None) -> dict:
    """Start a worker, check each measure it claims from inside it, and run a tiny exercise (a call, a
    gradient) through it. Returns {"measures", "probe", "weak"}; raises SandboxError with the cause if
    the sandbox does not hold or the canary does not come back right."""
    import torch
    secret = secret or str(KIT_DIR.parent / "source")
    with Worker(device, limits, hide) as worker:
        try:
            load = worker.request({"op": "load", "cells": [{"name": "canary", "source": CANARY}]})
            X = torch.linspace(-2, 2, 7, dtype=torch.float64)
            out = worker.request({"op": "call", "symbol": "canary", "args": [X], "requires_grad": [0]})
            grads = worker.request({"op": "backward", "grad_outputs": [torch.ones_like(X)]})
            probe = worker.request({"op": "call", "symbol": "canary_probe",
                                    "args": [str(KIT_DIR / "__init__.py"), secret]})
        except WorkerGone as e:
            raise SandboxError(f"the canary exercise did not run in the sandbox: {e}") from None
        if not (load.get("ok") and out.get("ok") and grads.get("ok") and probe.get("ok")):
            raise SandboxError(f"the canary exercise failed in the sandbox: {load} {out} {probe}")
        value, grad = _tensor(out["value"]), _tensor(grads["args"][0])
        if not (torch.allclose(value, torch.tanh(X) * 2) and torch.allclose(grad, 2 * (1 - torch.tanh(X) ** 2))):
            raise SandboxError("the canary exercise came back wrong from the sandbox")
        found = dict(str(item).split("=", 1) for item in probe["value"])
        bad = probe_failures(worker.measures, found)
        if bad:
            raise SandboxError("the sandbox does not hold what it claims: " + "; ".join(bad))
        missing = [m for m in isolation.required() if m not in worker.measures]
        return {"measures": list(worker.measures), "probe": found, "weak": bool(missing), "missing": missing}


def _tensor(value):
    import torch
    if not isinstance(value, torch.Tensor):
        raise SandboxError(f"the canary exercise returned {type(value).__name__}, not a tensor")
    return value
