"""What a grading may use (resource limits, how strong a sandbox it accepts) and the error when the
sandbox cannot provide it. Kept free of torch, so that the batch driver and the CLI start fast."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0        # one request (a call, a cell) from the grader
    memory_bytes: int = 3 << 30       # address space the student's code may add (CPU)
    output_bytes: int = 2 << 20       # stdout + stderr of the worker
    reply_bytes: int = 256 << 20      # largest reply accepted (huge returned tensors)
    threads: int = 1                  # the same for student and reference, so timings compare
    respawns: int = 2                 # fresh workers an exercise may use after a crash or hang
    gpu_memory_fraction: float = 0.5  # share of the GPU's memory a worker may use (device cuda)
    allow_weak_sandbox: bool = False  # grade even where the machine cannot build the whole sandbox


class SandboxError(Exception):
    """The sandbox did not start: the kit's (or the machine's) failure, never the student's. Grading stops."""
