"""Plain-data messages between the trusted grader and the sandboxed worker.

A message is a JSON header followed by raw tensor buffers. Nothing is ever unpickled: the trusted side
rebuilds tensors from (dtype, shape, bytes) it validates itself, so an object from student code (a
Tensor subclass, a proxy that "equals everything") cannot cross the boundary, only its numbers can.
"""
from __future__ import annotations

import json
import math
import struct

import torch

# dtypes that may cross the boundary, by name
DTYPES = {
    "float64": torch.float64, "float32": torch.float32, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "int64": torch.int64, "int32": torch.int32, "int16": torch.int16,
    "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
MAX_DEPTH = 16
MAX_STRING = 20_000


class ProtocolError(Exception):
    """A message that is not well-formed plain data."""


def encode(value) -> bytes:
    blobs: list[bytes] = []
    header = _to_plain(value, blobs, 0)
    head = json.dumps({"v": header, "blobs": [len(b) for b in blobs]}, allow_nan=True).encode()
    return struct.pack("<I", len(head)) + head + b"".join(blobs)


def _to_plain(value, blobs, depth):
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:MAX_STRING]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return {"__float__": repr(value)} if not math.isfinite(value) else value
    if isinstance(value, torch.Tensor):
        t = torch.Tensor.detach(value)
        if t.dtype not in NAMES:
            raise ProtocolError(f"tensors of dtype {t.dtype} are not supported")
        meta = {"__tensor__": None, "dtype": NAMES[t.dtype], "shape": list(t.shape),
                "device": str(t.device)}
        if t.device.type != "meta":
            flat = t.cpu().contiguous().reshape(-1)
            meta["__tensor__"] = len(blobs)
            blobs.append(flat.view(torch.uint8).numpy().tobytes())
        return meta
    if isinstance(value, (list, tuple)):
        return {"__seq__": "tuple" if isinstance(value, tuple) else "list",
                "items": [_to_plain(v, blobs, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[str(k), _to_plain(v, blobs, depth + 1)] for k, v in value.items()]}
    raise ProtocolError(f"cannot send a {type(value).__name__}")


def decode(data: bytes):
    """Rebuild a value; tensors land on the CPU (the device they were sent from is kept as `.sent_from`)."""
    if len(data) < 4:
        raise ProtocolError("truncated message")
    (n,) = struct.unpack("<I", data[:4])
    try:
        head = json.loads(data[4:4 + n].decode())
        sizes = [int(s) for s in head["blobs"]]
    except Exception as e:  # noqa: BLE001 - any malformed header is one error
        raise ProtocolError(f"bad header: {e}") from None
    offsets, pos = [], 4 + n
    for s in sizes:
        if s < 0:
            raise ProtocolError("bad blob size")
        offsets.append((pos, pos + s))
        pos += s
    if pos != len(data):
        raise ProtocolError("message length does not match its header")
    view = memoryview(data)
    return _from_plain(head["v"], view, offsets, 0)


def _from_plain(v, view, offsets, depth):
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, str):
        return v[:MAX_STRING]
    if isinstance(v, dict):
        if "__float__" in v:
            return float(v["__float__"]) if v["__float__"] in ("nan", "inf", "-inf") else math.nan
        if "__tensor__" in v:
            return _tensor(v, view, offsets)
        if "__seq__" in v:
            items = [_from_plain(x, view, offsets, depth + 1) for x in v["items"]]
            return tuple(items) if v["__seq__"] == "tuple" else items
        if "__dict__" in v:
            return {str(k): _from_plain(x, view, offsets, depth + 1) for k, x in v["__dict__"]}
    raise ProtocolError("unknown value in message")


def _tensor(v, view, offsets):
    dtype = DTYPES.get(v.get("dtype"))
    shape = v.get("shape")
    if dtype is None or not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise ProtocolError("bad tensor description")
    sent_from = str(v.get("device", "cpu"))[:32]
    if v["__tensor__"] is None:
        t = torch.empty(shape, dtype=dtype, device="meta")
    else:
        lo, hi = offsets[int(v["__tensor__"])]
        numel = math.prod(shape)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if hi - lo != numel * itemsize:
            raise ProtocolError("tensor data does not match its shape")
        raw = bytearray(view[lo:hi])
        t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        t = t.view(dtype).reshape(shape)
    t.sent_from = sent_from
    return t
