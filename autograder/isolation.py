"""Operating-system isolation of a worker: its own user, no network, no view of the course's files.

Applied in the worker right after fork, before any student code runs:
- when the kit runs as root, the worker becomes a user of its own (uid 1000000 + pid): it cannot write
  the instructor's files, its process count is capped, and every process it leaves behind can be found
  and killed by uid;
- in a new user + mount + network namespace it has no network, and the paths that hold reference
  solutions, hidden tests, the gradebook and other students' work are covered by empty file systems.
Each step is best effort (a machine may forbid user namespaces); `enter` returns what was applied, so
reports can say how strong the sandbox was.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
UID_BASE = 1_000_000
MAX_PROCS = 64

# under a course or kit folder: what a student's code must not read or write
SECRET_PARTS = ("source", "solutions", "submitted", "autograded", "feedback", "gradebook.db",
                "autograder/graders")


def worker_uid(pid: int) -> int:
    return UID_BASE + pid


def secret_paths(roots) -> list[str]:
    out = []
    for root in roots:
        for part in SECRET_PARTS:
            p = Path(root) / part
            if p.exists():
                out.append(str(p.resolve()))
    return sorted(set(out))


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, src, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if s is not None else None)
    if libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


def _blocked_ancestor(path: str) -> str | None:
    """The highest folder above `path` that other users cannot enter (e.g. a 0700 home), if any."""
    parts = Path(path).resolve().parts
    for i in range(2, len(parts) + 1):
        p = Path(*parts[:i])
        try:
            if not os.stat(p).st_mode & 0o001:
                return str(p)
        except OSError:
            return None
    return None


def _runtime_paths() -> list[str]:
    """Folders the interpreter may still import from: its prefixes, site-packages, torch and the kit.
    (Not every sys.path entry: one may be the current folder, which must stay covered.)"""
    import site
    import sys
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
             str(Path(torch_file()).parents[1]), str(Path(__file__).parents[1])}
    return sorted({str(Path(p).resolve()) for p in paths if os.path.isdir(p)})


def torch_file() -> str:
    import torch
    return torch.__file__


def _under(path: str, folders) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def enter(scratch: str, roots) -> list[str]:
    """Isolate the calling (single-threaded, just forked) process. Returns the measures applied."""
    applied = []
    libc = _libc()
    root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    # root may make namespaces directly; anyone else needs a user namespace of their own first
    flags = CLONE_NEWNS | CLONE_NEWNET | (0 if root else CLONE_NEWUSER)
    if libc.unshare(flags) == 0:
        applied.append("no-network")
        try:
            if not root:
                Path("/proc/self/setgroups").write_text("deny")
                Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
                Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
            _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
            _cover(libc, scratch, roots, will_drop_root=root)
            applied.append("files-hidden")
        except OSError:
            pass
    if root:
        new = worker_uid(os.getpid())
        os.chown(scratch, new, new)
        os.setgroups([])
        os.setgid(new)
        os.setuid(new)
        applied.append("own-user")
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCS, MAX_PROCS))
    except (ValueError, OSError):
        pass
    return applied


def _cover(libc, scratch, roots, will_drop_root):
    """Mount empty file systems over shared temporary folders and the course's secrets; keep visible
    what the interpreter and this worker need (mounted back from handles taken in this namespace)."""
    runtime = _runtime_paths()
    covered = {d for d in ("/tmp", "/dev/shm", "/var/tmp") if os.path.isdir(d)}
    if will_drop_root:  # private folders above the interpreter (a 0700 home) would lock us out
        covered |= {b for b in map(_blocked_ancestor, runtime) if b}
    keep = {}
    for path in sorted([p for p in runtime if _under(p, covered)] + [scratch], key=len):
        if not _under(path, keep):
            keep[path] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    hide = secret_paths(roots)
    try:
        for folder in sorted(covered, key=len):
            _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777")
        for path, fd in keep.items():
            os.makedirs(path, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        for path in hide:  # last, so that nothing mounted back above shows them again
            if os.path.isdir(path):
                _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=555")
            else:
                _mount(libc, "/dev/null", path, None, MS_BIND)
    finally:
        for fd in keep.values():
            os.close(fd)


def kill_user(uid: int):
    """Kill every process running as `uid` (what a worker left behind, setsid or not)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        os.kill(int(status.parent.name), signal.SIGKILL)
                    break
        except (OSError, ValueError):
            continue
