"""The sandboxed worker: the only process that ever runs student code.

It is forked from a template process that has already imported torch (multiprocessing's forkserver
with `template.py` preloaded), so starting one costs a fork, not an interpreter and a torch import.
Before touching student code it limits itself (memory, file size, core dumps), moves to a scratch
directory, drops the environment and sends its output to a capped file. It then serves requests from
the trusted side as plain bytes (see `protocol.py`); it never receives or sends pickles after start-up.
"""
from __future__ import annotations

import os
import resource
import signal
import sys

import torch

from . import isolation, protocol
from .session import Session, describe_error

KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ")
MAX_PROCS = 64   # processes and threads of the worker's user (a fork bomb stops here)


def _limit_self(conn, cfg) -> list[str]:
    """Sandbox this process (see isolation.py), then limit it. Returns the measures in force."""
    os.setsid()  # own session: the trusted side kills it with everything it spawned
    # inherited descriptors (the forkserver's sentinel, the resource tracker's pipe) lead outside the
    # sandbox: keep only the standard streams and the connection to the trusted side
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with open("/proc/self/statm") as f:   # read before the sandbox, which may have no /proc
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    applied = isolation.enter(
        cfg["scratch"], runtime=cfg["runtime"], hide=cfg["hide"], devices=cfg["devices"],
        allow_weak=cfg["allow_weak"],
        announce=lambda pid: conn.send_bytes(protocol.encode({"stage": "init", "pid": pid})))
    out_cap = int(cfg["output_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (out_cap, out_cap))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the cap fail instead of killing us
    if isolation.PID_NAMESPACE in applied or isolation.OWN_UID in applied:
        # counted per user (per user namespace): without either, the instructor's own processes count too
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCS, MAX_PROCS))
    if cfg["device"] == "cpu":
        # address space = what the template already maps + the allowance; CUDA maps too much for this
        cap = mapped + int(cfg["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    else:
        torch.cuda.set_per_process_memory_fraction(float(cfg["gpu_memory_fraction"]))
    home = isolation.SANDBOX_HOME if isolation.PRIVATE_ROOT in applied else cfg["scratch"]
    os.chdir(home)
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.update(HOME=home, TMPDIR=home, MPLBACKEND="Agg", NBGRADER_EXECUTION="autograde",
               OMP_NUM_THREADS=str(cfg["threads"]))
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(os.path.join(home, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    torch.set_num_threads(int(cfg["threads"]))
    return applied + [isolation.RESOURCE_LIMITS]


def serve(conn, cfg):
    """Entry point of the worker process (a multiprocessing target). The first message says whether the
    sandbox stands (and which measures it applied); no student code runs before it does."""
    try:
        applied = _limit_self(conn, cfg)
    except BaseException as e:  # noqa: BLE001 - whatever stopped the sandbox, it must not run student code
        why = str(e) if isinstance(e, isolation.Unavailable) else \
            f"the sandbox could not be set up ({type(e).__name__}: {e})"
        conn.send_bytes(protocol.encode({"ready": False, "error": why}))
        os._exit(3)
    conn.send_bytes(protocol.encode({"ready": True, "measures": applied}))
    session = Session(cfg["device"], call_timeout=cfg.get("call_timeout"))
    session.isolation = applied
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            msg = protocol.decode(data)
            reply = session.handle(msg)
            reply["seq"] = msg.get("seq")
        except protocol.ProtocolError as e:
            reply = {"ok": False, "error": {"type": "ProtocolError", "message": str(e), "where": ""}}
        try:
            payload = protocol.encode(reply)
        except BaseException as e:  # noqa: BLE001 - e.g. the student returned a numpy array
            payload = protocol.encode({"ok": False, "seq": reply.get("seq"),
                                       "error": {**describe_error(e), "type": "ReturnTypeError"}})
        conn.send_bytes(payload)
