"""Trusted side of the sandbox: start a worker, talk to it with a deadline, kill it for good."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass

from . import isolation, protocol, registry


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0        # one request (a call, a cell) from the grader
    memory_bytes: int = 3 << 30       # address space the student's code may add (CPU)
    output_bytes: int = 2 << 20       # stdout + stderr of the worker
    reply_bytes: int = 256 << 20      # largest reply accepted (huge returned tensors)
    threads: int = 1                  # the same for student and reference, so timings compare
    respawns: int = 2                 # fresh workers an exercise may use after a crash or hang


class WorkerGone(Exception):
    """The worker stopped answering: time limit, memory, a crash or an exit in student code."""


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["autograder.worker"])
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
    def __init__(self, device: str = "cpu", limits: Limits = Limits()):
        ctx = _context()
        self.limits = limits
        self.scratch = tempfile.mkdtemp(prefix="autograder-")
        self.conn, child = ctx.Pipe(duplex=True)
        roots = sorted({str(registry.kit_root()), os.getcwd()})  # folders whose secrets the worker must not see
        cfg = {"device": device, "scratch": self.scratch, "roots": roots, "memory_bytes": limits.memory_bytes,
               "output_bytes": limits.output_bytes, "threads": limits.threads,
               "call_timeout": limits.call_seconds}
        from .worker import serve
        self.proc = ctx.Process(target=serve, args=(child, cfg), daemon=True)
        with _main_hidden():
            self.proc.start()
        child.close()
        self.dead = None

    def request(self, msg: dict, timeout: float | None = None) -> dict:
        if self.dead:
            raise WorkerGone(self.dead)
        timeout = self.limits.call_seconds + 5 if timeout is None else timeout
        try:
            self.conn.send_bytes(protocol.encode(msg))
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
        return reply

    def _death_reason(self):
        self.proc.join(2)
        code = self.proc.exitcode
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
