"""Operating-system isolation of a sandboxed worker, applied before any student code runs.

A worker is forked from a template that has already imported torch, so the sandbox is built in-process
with Linux namespaces (the technique of bubblewrap and container runtimes) rather than by starting a new
interpreter under an external tool, which would cost a torch import per worker:

- **pid namespace**: the worker is process 1 of a namespace of its own. It can see and signal only the
  processes it starts (`kill(-1, 9)` reaches nothing else), and when it dies the kernel kills them all.
- **private root**: a new root file system, read-only, that holds only what the interpreter needs (system
  libraries, the Python installation, site-packages, the kit's runtime packages without the graders), a
  fresh /proc and a minimal /dev. The scratch folder, mounted at /tmp, is the only writable place. The
  instructor's home, the course folders and the gradebook are not in it at all.
- **no network**: a network namespace with no interface up.
- **no capabilities** and no new privileges, so none of the above can be undone from inside; run as
  root, the worker also becomes a uid of its own (`own-uid`).
Resource limits (memory, processes, file size, core dumps) are set by `worker.py` on top.

Root needs nothing more; an ordinary user needs unprivileged user namespaces (on by default in most
distributions). When a measure cannot be applied, `enter` raises `Unavailable` naming what is missing and
the worker does not start, unless the caller accepts a weaker sandbox (`allow_weak`).
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import struct
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# statvfs f_flag bits -> the mount flags a read-only remount must keep (the kernel refuses to drop them)
_KEEP_FLAGS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
               os.ST_NOATIME: MS_NOATIME, os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}

UID_BASE = 1_000_000

# what a report lists; `required` says which a grading may not go without
PID_NAMESPACE, PRIVATE_ROOT, NO_NETWORK, NO_CAPABILITIES = "pid-namespace", "private-root", "no-network", \
    "no-capabilities"
OWN_UID, RESOURCE_LIMITS = "own-uid", "resource-limits"
MEASURES = {
    PID_NAMESPACE: "sees and signals only its own processes; they all die with it",
    PRIVATE_ROOT: "read-only root with only the Python runtime; writes only to its scratch folder",
    NO_NETWORK: "no network interface",
    NO_CAPABILITIES: "no capabilities, no new privileges (the sandbox cannot be undone from inside)",
    OWN_UID: "runs as a user of its own (the kit runs as root)",
    RESOURCE_LIMITS: "memory, processes, output size and core dumps limited",
}
SANDBOX_HOME = "/tmp"        # where the scratch folder appears inside the sandbox
DENY_ENV = "AUTOGRADER_TEST_DENY_NAMESPACES"   # tests: behave as on a machine without namespaces


class Unavailable(Exception):
    """The sandbox cannot be built on this machine (or failed while being built): the worker must not
    run student code. The message names what is missing."""


def required() -> list[str]:
    return [PID_NAMESPACE, PRIVATE_ROOT, NO_NETWORK, NO_CAPABILITIES, RESOURCE_LIMITS] + \
        ([OWN_UID] if os.geteuid() == 0 else [])


def worker_uid(pid: int) -> int:
    return UID_BASE + pid


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if isinstance(s, str) else s)
    _check(_libc().mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


# -- what the sandbox shows ---------------------------------------------------------------------------

def runtime_paths(extra=()) -> list[str]:
    """Folders bound read-only into the sandbox: system libraries and configuration, the interpreter's
    installation and site-packages, torch, and the kit's runtime packages (`extra`). Not every sys.path
    entry: one may be the current folder, which is the course."""
    import site
    paths = {"/usr", "/etc", sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
             str(Path(_torch_file()).parents[1]), *extra}
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.isdir("/" + name) and not os.path.islink("/" + name):
            paths.add("/" + name)
    real = sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})
    return [p for i, p in enumerate(real) if not any(_under(p, q) for q in real[:i])]


def _torch_file() -> str:
    import torch
    return torch.__file__


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# -- building it ----------------------------------------------------------------------------------------

def enter(scratch: str, *, runtime, hide=(), devices=(), allow_weak=False, announce=None) -> list[str]:
    """Isolate the calling process (single-threaded, just forked). Returns the measures applied.

    Forks once: the caller continues as process 1 of a new pid namespace; the process that called stays
    outside, reports the new process's pid with `announce(pid)`, waits for it and exits with its status.
    Raises `Unavailable` if the sandbox cannot be built whole (unless `allow_weak`).
    """
    root = os.geteuid() == 0
    uid = worker_uid(os.getpid()) if root else os.getuid()
    gid = uid if root else os.getgid()
    if root:
        os.chown(scratch, uid, gid)
    try:
        if os.environ.get(DENY_ENV) == "1":
            raise OSError(errno.EPERM, "namespaces refused (test switch)")
        _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | (0 if root else CLONE_NEWUSER))
    except OSError as e:
        missing = _why_no_namespaces(e, root)
        if not allow_weak:
            raise Unavailable(missing) from None
        applied = [NO_CAPABILITIES]
        if root:
            _become(uid, gid)
            applied.append(OWN_UID)
        _drop_privileges()
        return applied
    if not root:
        _map_ids(uid, gid)
    _fork_into_namespace(announce)
    try:
        _private_root(scratch, runtime, hide, devices)
        if root:
            _become(uid, gid)
        _drop_privileges()
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after the uid change, which clears it
    except OSError as e:
        raise Unavailable(f"the sandbox could not be built: {e}") from None
    return [PID_NAMESPACE, PRIVATE_ROOT, NO_NETWORK, NO_CAPABILITIES] + ([OWN_UID] if root else [])


def _unshare(flags):
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def _why_no_namespaces(e: OSError, root: bool) -> str:
    if root:
        return (f"this machine refuses new namespaces even to root ({e.strerror}); the worker would see the "
                "course's files and every process")
    return (f"user namespaces are not available to this user ({e.strerror}), so the worker cannot get its own "
            "pid namespace, private read-only root and network namespace: it could signal your processes and "
            "write your files. Enable them (Debian/Ubuntu: `sysctl kernel.unprivileged_userns_clone=1`; "
            "Ubuntu 24.04: `sysctl kernel.apparmor_restrict_unprivileged_userns=0`; RHEL: "
            "`sysctl user.max_user_namespaces=15000`), or run the kit as root")


def _map_ids(uid, gid):
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _fork_into_namespace(announce):
    """The next child is process 1 of the new pid namespace; only it returns from here."""
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.read(go_r, 1)       # wait until the trusted side knows our pid
        os.close(go_r)
        return
    os.close(go_r)
    code = 70
    try:
        if announce:
            announce(pid)
        os.write(go_w, b"1")
        os.close(go_w)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        code = code if code >= 0 else 128 - code
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os._exit(code)


def _private_root(scratch, runtime, hide, devices):
    _mount(None, "/", None, MS_REC | MS_PRIVATE)       # nothing we do here propagates to the machine
    new = os.path.join(scratch, ".root")
    os.mkdir(new, 0o755)
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    # the scratch folder first: a runtime folder may lie under /tmp (a kit cloned into a temporary folder,
    # its venv inside), and a bind made before would be covered by the scratch (lazy imports then fail)
    os.makedirs(new + SANDBOX_HOME, exist_ok=True)
    _mount(scratch, new + SANDBOX_HOME, None, MS_BIND)
    binds = []
    for path in runtime:
        target = new + path
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, MS_BIND)
        binds.append((path, target))
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink("/" + name):
            os.symlink(os.readlink("/" + name), os.path.join(new, name))
    for path in hide:   # course folders or graders that lie inside a runtime folder
        target = new + path
        if any(_under(path, p) for p in runtime) and os.path.lexists(path):
            if os.path.isdir(path):
                _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=555")
            else:
                _mount("/dev/null", target, None, MS_BIND)
    for path, target in binds:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _kept_flags(path))
    _make_dev(new, devices)
    os.mkdir(new + "/proc")
    try:
        _mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass   # some containers forbid a fresh /proc; then the sandbox has none (the machine's is never shown)
    os.chdir(new)
    _check(_libc().pivot_root(b".", b"."), "pivot_root")   # the old root now lies on top of the new one
    _check(_libc().umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(SANDBOX_HOME)


def _kept_flags(path) -> int:
    flags = os.statvfs(path).f_flag
    return sum(ms for st, ms in _KEEP_FLAGS.items() if flags & st)


def _make_dev(new, devices):
    dev = new + "/dev"
    os.mkdir(dev)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,mode=755")
    for name in ("null", "zero", "full", "random", "urandom", *devices):
        if os.path.exists("/dev/" + name):
            open(os.path.join(dev, name), "w").close()  # noqa: SIM115 - a mount point
            _mount("/dev/" + name, os.path.join(dev, name), None, MS_BIND)
    for name, target in (("shm", SANDBOX_HOME), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    _mount(None, dev, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)


def _become(uid, gid):
    for cap in range(64):   # the bounding set first: that needs a capability we are about to lose
        _libc().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _drop_privileges():
    libc = _libc()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)   # fails without CAP_SETPCAP: nothing left to drop then
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0))   # _LINUX_CAPABILITY_VERSION_3
    data = ctypes.create_string_buffer(24)                                    # two empty cap sets
    _check(libc.capset(header, data), "capset")


def kill_user(uid: int):
    """Kill every process running as `uid` (what a root-run worker's own user left behind)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        os.kill(int(status.parent.name), signal.SIGKILL)
                    break
        except (OSError, ValueError):
            continue
