"""The book's data files: where they come from, their SHA-1 sums, and a cache that never holds a bad copy.

`download(name)` returns the path of a checked file in the cache folder, fetching it only when the cache
has no good copy. A download goes to a temporary name in the cache folder and is renamed only once it is
complete and its checksum matches, so an interrupted or corrupted download never looks like a cached file.

Environment (all optional):
- `D2LKIT_DATA`      the cache folder (default `~/.cache/d2lkit`); a class can share one read-only copy;
- `D2LKIT_DATA_URL`  where the files are served from (default: the book's bucket); a local mirror, or a
                     test server on 127.0.0.1;
- `D2LKIT_OFFLINE=1` never touch the network: what is not cached is "offline" at once.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

# D2L's DATA_HUB (d2l/torch.py, 2nd edition): file name under DATA_URL, and its SHA-1
DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
DATA_HUB = {
    "time_machine": ("timemachine.txt", "090b5e7e70c295757f55df93cb0a180b9691891a"),
    "fra-eng": ("fra-eng.zip", "94646ad1522d915e7b0f9296181140edcf86a4f5"),
}
TIMEOUT = 30  # seconds without a byte before a download counts as stalled
CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A data file could not be fetched; the message says why and what to do."""


class OfflineError(DownloadError):
    """No network (or no server at the data URL): nothing was downloaded."""


class ChecksumError(DownloadError):
    """The server sent a file whose SHA-1 is not the book's; it was removed, not cached."""


class PartialDownloadError(DownloadError):
    """The transfer stopped before the end of the file; the partial copy was removed."""


def cache_dir() -> Path:
    """The cache folder: `$D2LKIT_DATA`, else `~/.cache/d2lkit`."""
    return Path(os.environ.get("D2LKIT_DATA") or Path.home() / ".cache" / "d2lkit").expanduser()


def data_url() -> str:
    """Where the book's files are served from: `$D2LKIT_DATA_URL`, else the book's own bucket."""
    url = os.environ.get("D2LKIT_DATA_URL") or DATA_URL
    return url if url.endswith("/") else url + "/"


def offline() -> bool:
    return os.environ.get("D2LKIT_OFFLINE", "") not in ("", "0")


def sha1sum(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached(name: str, folder: Path | None = None) -> Path | None:
    """The cached file of `name` if its checksum is the book's, else None (no network involved)."""
    filename, sha1 = _entry(name)
    path = Path(folder or cache_dir()) / filename
    return path if path.is_file() and sha1sum(path) == sha1 else None


def download(name: str, folder: Path | str | None = None, url: str | None = None,
             timeout: float = TIMEOUT) -> Path:
    """Path of the checked file `name` (a key of DATA_HUB) in `folder` (default: the cache folder).

    A cached copy with the right checksum is returned without any request. Raises OfflineError (no
    network, no server), ChecksumError, PartialDownloadError, or DownloadError (e.g. HTTP 404).
    """
    filename, sha1 = _entry(name)
    folder = Path(folder or cache_dir())
    if cached(name, folder):
        return folder / filename
    url = url or data_url() + filename
    if offline():
        raise OfflineError(f"{name}: not in {folder} and D2LKIT_OFFLINE is set, so {url} was not tried.")
    folder.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            got = _fetch(name, url, out, timeout)
        if got != sha1:
            raise ChecksumError(f"{name}: the file from {url} has SHA-1 {got}, the book's is {sha1}; it was "
                                "removed, not cached. The server (or a proxy) sent something else: try again "
                                "later, or set D2LKIT_DATA_URL to another copy.")
        os.replace(part, folder / filename)  # atomic: the final name only ever holds a checked file
    finally:
        if os.path.exists(part):
            os.remove(part)
    return folder / filename


def _entry(name: str) -> tuple[str, str]:
    if name not in DATA_HUB:
        raise KeyError(f"unknown data file {name!r}; the kit knows {', '.join(DATA_HUB)}")
    return DATA_HUB[name]


def _fetch(name: str, url: str, out, timeout: float) -> str:
    """Copy `url` into the open file `out`; return the SHA-1 of what arrived."""
    digest, size = hashlib.sha1(), 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{name}: {url} answered HTTP {e.code} ({e.reason}).") from None
    except urllib.error.URLError as e:  # before any byte: DNS, refused connection, connect timeout
        raise OfflineError(f"{name}: cannot reach {url} ({e.reason}): no network? Run "
                           "`python -m d2lkit.data download` where there is one, or copy the file into "
                           f"{cache_dir()}.") from None
    except (http.client.IncompleteRead, ConnectionError, socket.timeout, TimeoutError) as e:
        raise PartialDownloadError(f"{name}: the transfer from {url} stopped after {size} bytes "
                                   f"({type(e).__name__}); the partial file was removed. Try again.") from None
    if expected is not None and size != int(expected):  # a server that closed early without telling
        raise PartialDownloadError(f"{name}: got {size} of {expected} bytes from {url}; the partial file was "
                                   "removed. Try again.")
    return digest.hexdigest()


def reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether a TCP connection to `url`'s host opens within `timeout` (for downloaders, like torchvision's,
    that set no timeout of their own: without this check a firewall that drops packets would hang them)."""
    if offline():
        return False
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
        return True
    except OSError:
        return False
