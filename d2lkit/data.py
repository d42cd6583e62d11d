"""The book's data sets for the lessons, with made data when there is no network.

- `fashion_mnist(batch_size)` -> (train, validation) DataLoaders of Fashion-MNIST (book 4.2), read by
  torchvision's own `FashionMNIST` from the cache folder (downloaded there on first use);
- `time_machine()` -> the raw text of H. G. Wells' The Time Machine (book 9.2);
- `fra_eng()` -> the raw English-French pairs, "English<TAB>French" lines (book 10.5).

Without a network (and without a cached copy), or when the download fails, each returns data the kit makes
(`d2lkit.synthetic`), of the same form, and says so (and why) in one printed line; `fallback=False` raises
the error instead. Files are checked and cached by `d2lkit.download`
(`D2LKIT_DATA`, `D2LKIT_DATA_URL`, `D2LKIT_OFFLINE`).

    python -m d2lkit.data download [--all | NAME ...]   fetch everything a class needs, once (a lab image)
    python -m d2lkit.data where                         print the cache folder
"""
from __future__ import annotations

import argparse
import contextlib
import io
import socket
import sys
import zipfile
from pathlib import Path

import torch
from torch.utils import data as torch_data

from . import synthetic
# the errors are re-exported: a lesson can catch d2lkit.data.DownloadError
from .download import (DATA_HUB, ChecksumError, DownloadError, OfflineError, PartialDownloadError,  # noqa: F401
                       cache_dir, download, reachable)

LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
NAMES = ["fashion_mnist", *DATA_HUB]  # what prefetch and the command know
FASHION_MNIST_SIZES = (60_000, 10_000)  # training, validation (torchvision's test split), as the real set
# torchvision.datasets.FashionMNIST.mirrors[0] (a test keeps them equal): probed before importing torchvision,
# which takes a second, only to learn that there is no network
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"


def text_labels(indices) -> list[str]:
    """Fashion-MNIST's class names of label indices (ints or a tensor)."""
    return [LABELS[int(i)] for i in indices]


# -- Fashion-MNIST ------------------------------------------------------------------------------------------

class ImageSet(torch_data.Dataset):
    """Grayscale uint8 images and their labels, served as torchvision's ToTensor() would: (1, H, W) float32
    in [0, 1], and an int64 label. Holding plain tensors avoids a PIL round trip per image (CPU-fast)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, resize=None):
        X = images.unsqueeze(1).float() / 255
        if resize:
            size = (resize, resize) if isinstance(resize, int) else tuple(resize)
            X = torch.nn.functional.interpolate(X, size=size, mode="bilinear", antialias=True,
                                                align_corners=False).clamp(0, 1)
        self.images, self.labels = X, labels.long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


def fashion_mnist(batch_size: int, resize=None, root=None, *, num_train=None, num_val=None, download=True,
                  fallback=True, quiet=False):
    """(train, validation) DataLoaders of Fashion-MNIST: batches X (batch, 1, 28, 28) float32 in [0, 1] and
    y (batch,) int64 in 0..9; `resize` (an int or (h, w)) resizes the images as the book's `Resize`.

    The real set comes through `torchvision.datasets.FashionMNIST(root)`, downloaded into `root` (default:
    the cache folder) when `download` and there is a network. Otherwise, with `fallback`, the kit's
    synthetic stand-in (same shapes, dtypes, labels and sizes). `num_train` / `num_val` keep the first
    images only (a CPU demo in seconds). One printed line says which data it is, unless `quiet`.
    The training loader shuffles with torch's global generator: fixed by `torch.manual_seed`.
    """
    num_train = FASHION_MNIST_SIZES[0] if num_train is None else num_train
    num_val = FASHION_MNIST_SIZES[1] if num_val is None else num_val
    root = Path(root or cache_dir())
    try:
        (train_x, train_y), (val_x, val_y) = _torchvision_fashion_mnist(root, download)
        what = f"Fashion-MNIST from {root}"
    except DownloadError as e:
        if not fallback:
            raise
        train_x, train_y = synthetic.fashion_images(num_train, seed=0)
        val_x, val_y = synthetic.fashion_images(num_val, seed=1)
        what = _instead("Fashion-MNIST", e, "the kit's synthetic stand-in (10 classes, 28x28)")
    train = ImageSet(train_x[:num_train], train_y[:num_train], resize)
    val = ImageSet(val_x[:num_val], val_y[:num_val], resize)
    if not quiet:
        print(f"{what}: {len(train)} training and {len(val)} validation images")
    # num_workers=0: the sets are in memory, and worker processes would cost more than they save here
    return (torch_data.DataLoader(train, batch_size, shuffle=True),
            torch_data.DataLoader(val, batch_size, shuffle=False))


def _instead(what: str, error: DownloadError, stand_in: str) -> str:
    """The one line that says a lesson runs on made data, and why: offline, or the download's error."""
    why = "offline" if isinstance(error, OfflineError) else f"({error})"
    return f"{what} not available {why}: using {stand_in}"


def _torchvision_fashion_mnist(root: Path, download: bool):
    """Images and labels of both splits through torchvision, or DownloadError saying why not."""
    raw = root / "FashionMNIST" / "raw"
    have = all((raw / f"{split}-{kind}-idx{n}-ubyte").exists()
               for split in ("train", "t10k") for kind, n in (("images", 3), ("labels", 1)))
    if not have:
        if not download:
            raise OfflineError(f"Fashion-MNIST is not in {root} (and download=False)")
        if not reachable(FASHION_MNIST_MIRROR):  # torchvision's download has no timeout: check before it hangs
            raise OfflineError(f"Fashion-MNIST: cannot reach {FASHION_MNIST_MIRROR}: no network?")
    import torchvision
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(60)  # a stall mid-download fails instead of hanging the lesson
    try:
        # torchvision prints each URL it tries: one line of ours says what happened instead
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            sets = [torchvision.datasets.FashionMNIST(str(root), train=train, download=not have)
                    for train in (True, False)]
    except (RuntimeError, OSError) as e:
        raise DownloadError(f"torchvision could not get Fashion-MNIST into {root}: "
                            f"{str(e).strip().splitlines()[0]}") from None
    finally:
        socket.setdefaulttimeout(previous)
    return [(s.data, s.targets) for s in sets]


# -- texts --------------------------------------------------------------------------------------------------

def time_machine(fallback=True) -> str:
    """The raw text of The Time Machine (the book's `timemachine.txt`), or the kit's made-up story."""
    try:
        return download("time_machine").read_text(encoding="utf-8")
    except DownloadError as e:
        if not fallback:
            raise
        text = synthetic.english_text()
        print(_instead("The Time Machine", e, f"the kit's generated English text ({len(text)} characters)"))
        return text


def fra_eng(fallback=True) -> str:
    """The raw English-French pairs (`fra.txt` of the book's `fra-eng.zip`): "English<TAB>French" lines, or
    the kit's generated pairs."""
    try:
        path = download("fra-eng")
    except DownloadError as e:
        if not fallback:
            raise
        text = synthetic.english_french()
        print(_instead("English-French pairs", e, f"the kit's generated pairs ({text.count(chr(10))} lines)"))
        return text
    with zipfile.ZipFile(path) as z:
        member = next(n for n in z.namelist() if n.endswith("fra.txt"))
        return z.read(member).decode("utf-8")


# -- fetching ahead -----------------------------------------------------------------------------------------

def prefetch(names=None) -> dict[str, Path]:
    """Download (or find cached) each data set in `names` (default: all); returns where each one is.

    Raises the first DownloadError: a class preparing a lab image wants to know, not a stand-in.
    """
    where = {}
    for name in names or NAMES:
        if name == "fashion_mnist":
            _torchvision_fashion_mnist(cache_dir(), download=True)
            where[name] = cache_dir() / "FashionMNIST"
        elif name in DATA_HUB:
            where[name] = download(name)
        else:
            raise KeyError(f"unknown data set {name!r}; the kit knows {', '.join(NAMES)}")
    return where


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m d2lkit.data", description="The kit's data sets.")
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("download", help="fetch data sets into the cache folder (all by default)")
    get.add_argument("names", nargs="*", metavar="NAME", help=", ".join(NAMES))
    get.add_argument("--all", action="store_true", help="every data set (the default)")
    commands.add_parser("where", help="print the cache folder")
    args = parser.parse_args(argv)
    if args.command == "where":
        print(cache_dir())
        return 0
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown data set {', '.join(unknown)}; the kit knows {', '.join(NAMES)}")
    status = 0
    for name in (NAMES if args.all or not args.names else args.names):
        try:
            print(f"{name}: {prefetch([name])[name]}")
        except DownloadError as e:
            print(f"FAILED: {e}", file=sys.stderr)  # the message names the data set
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
