"""`autograder doctor`: what this machine and this user provide for grading, checked for real.

Prints torch and its devices, who runs the kit, the sandbox's measures (each one checked from inside a
worker, not taken on trust) and the result of the canary exercise. Exit status 0 when the kit can grade
here, 3 (as `grade` and `batch`) when it would refuse.
"""
from __future__ import annotations

import getpass
import os
from pathlib import Path

from . import isolation
from .sandbox import Limits, SandboxError, prove


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "(not present)"


def run_doctor(device=None, limits: Limits = Limits()) -> int:
    import torch
    from .cli import SANDBOX_FAILED
    from .grade import course_secrets, default_device
    device = torch.device(device) if device else default_device()
    print(f"torch {torch.__version__}; CUDA {'available' if torch.cuda.is_available() else 'not available'}")
    for i in range(torch.cuda.device_count()):
        print(f"  cuda:{i} {torch.cuda.get_device_name(i)}")
    print(f"grading device: {device}")
    root = os.geteuid() == 0
    print(f"user: {getpass.getuser()} (uid {os.getuid()}{', root' if root else ''})")
    print(f"user namespaces: max_user_namespaces={_read('/proc/sys/user/max_user_namespaces')}, "
          f"unprivileged_userns_clone={_read('/proc/sys/kernel/unprivileged_userns_clone')}"
          + ("" if not root else " (root needs none)"))
    try:
        proof = prove(str(device), limits, course_secrets())
    except SandboxError as e:
        print(f"sandbox: DOES NOT HOLD: {e}")
        print("canary: not run; `autograder grade` and `batch` refuse to grade here"
              + ("" if limits.allow_weak_sandbox else " (unless --weak-sandbox)"))
        return SANDBOX_FAILED
    print("sandbox measures (each checked from inside a worker):")
    for name, what in isolation.MEASURES.items():
        state = "yes" if name in proof["measures"] else ("MISSING" if name in isolation.required() else "n/a")
        print(f"  {name:16} {state:8} {what}")
    print(f"  seen from inside: {', '.join(f'{k}={v}' for k, v in proof['probe'].items())}")
    if proof["weak"]:
        print(f"canary: passed with a WEAK sandbox (without {', '.join(proof['missing'])}); reports say so")
    else:
        print("canary: passed (a call and its gradient through the sandbox); grading here is safe")
    return 0
