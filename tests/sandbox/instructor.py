"""An ordinary (non-root) instructor for sandbox tests, as on a laptop or a JupyterHub.

Run as root (CI), `Instructor.create()` makes a user with `useradd` and lets it reach this interpreter
(POSIX ACLs granting traversal of private folders such as /root or a 0700 clone, removed afterwards).
Run as an ordinary user already, the current user is the instructor. Either way the instructor gets a
course of their own (a copy of the kit's package, lessons and nbgrader config) in a home folder they
own, so that a sandbox that failed would let student code change files the instructor really owns.
"""
from __future__ import annotations

import os
import pwd
import shutil
import stat
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import registry

USER = "kit-instructor"
ACL = "system.posix_acl_access"
KIT_PARTS = ("autograder", "d2lkit", "nbgrader_config.py")


def _acl_with_user(mode: int, uid: int) -> bytes:
    """A POSIX access ACL (the kernel's xattr format) equal to `mode` plus execute for `uid`."""
    u, g, o = (mode >> 6) & 7, (mode >> 3) & 7, mode & 7
    undefined = 0xFFFFFFFF
    entries = [(0x01, u, undefined), (0x02, 1, uid), (0x04, g, undefined), (0x10, g | 1, undefined),
               (0x20, o, undefined)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


def _blocked_folders(paths) -> list[Path]:
    """Folders on the way to `paths` that others may not traverse."""
    out = []
    for p in paths:
        for folder in [*reversed(Path(p).parents), Path(p)]:
            if folder.is_dir() and not os.stat(folder).st_mode & stat.S_IXOTH and folder not in out:
                out.append(folder)
    return out


@dataclass
class Instructor:
    uid: int
    gid: int
    home: Path
    env: dict
    granted: list = field(default_factory=list)   # (folder, previous ACL or None, previous mode)

    @property
    def course(self) -> Path:
        return self.home / "course"

    @classmethod
    def create(cls, home_for_self: Path) -> "Instructor":
        if os.geteuid() != 0:   # already an ordinary user
            home = home_for_self
            inst = cls(os.getuid(), os.getgid(), home, {})
        else:
            try:
                pw = pwd.getpwnam(USER)
            except KeyError:
                subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
                pw = pwd.getpwnam(USER)
            home = Path(pw.pw_dir)
            inst = cls(pw.pw_uid, pw.pw_gid, home, {})
            inst._grant_traversal([os.path.realpath(sys.executable), sys.prefix, sys.base_prefix])
        inst.env = {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                    "PYTHONPATH": str(inst.course), "AUTOGRADER_COURSE": str(inst.course), "LANG": "C.UTF-8"}
        inst._make_course()
        return inst

    def _grant_traversal(self, paths):
        for folder in _blocked_folders(paths):
            st = os.stat(folder)
            try:
                previous = os.getxattr(folder, ACL)
            except OSError:
                previous = None
            os.setxattr(folder, ACL, _acl_with_user(st.st_mode & 0o777, self.uid))
            self.granted.append((folder, previous, st.st_mode & 0o7777))

    def _make_course(self):
        kit = registry.kit_root()
        if self.course.exists():
            shutil.rmtree(self.course)
        self.course.mkdir(parents=True)
        for part in KIT_PARTS:
            src = kit / part
            if src.is_dir():
                shutil.copytree(src, self.course / part, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                shutil.copy(src, self.course / part)
        shutil.copytree(kit / "source", self.course / "source")
        (self.home / ".bashrc").touch()
        self.chown(self.home)

    def chown(self, path: Path):
        if os.geteuid() != 0:
            return
        for folder, dirs, files in os.walk(path):
            os.chown(folder, self.uid, self.gid)
            for f in files:
                os.lchown(os.path.join(folder, f), self.uid, self.gid)

    def run(self, args, cwd=None, extra_env=None, timeout=900) -> subprocess.CompletedProcess:
        """A command as the instructor (not root), with the instructor's own kit first on the path."""
        who = {} if os.geteuid() != 0 else {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(args, cwd=cwd or self.home, env={**self.env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=timeout, **who)

    def autograder(self, *args, **kw) -> subprocess.CompletedProcess:
        return self.run([sys.executable, "-m", "autograder", *map(str, args)], **kw)

    def snapshot(self) -> dict:
        """Every file under the home folder with its bytes' hash and mode: what hostile code must not change."""
        import hashlib
        out = {}
        for folder, _, files in os.walk(self.home):
            for f in files:
                p = Path(folder) / f
                try:
                    out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mode)
                except OSError:
                    out[str(p)] = None
        return out

    def close(self):
        for folder, previous, mode in reversed(self.granted):
            if previous is None:
                os.removexattr(folder, ACL)
            else:
                os.setxattr(folder, ACL, previous)
            os.chmod(folder, mode)
        self.granted.clear()
