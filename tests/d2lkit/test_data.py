"""Fashion-MNIST through torchvision or the kit's stand-in, and the generated texts."""
import collections
import gzip
import hashlib
import re
import struct

import torch

from d2lkit import data, synthetic, training

from .conftest import FASHION_MNIST_MIRROR


def test_offline_fashion_mnist_is_the_stand_in_announced_in_one_line(capsys):
    train, val = data.fashion_mnist(64, num_train=500, num_val=200)
    out = capsys.readouterr().out.splitlines()
    assert out == ["Fashion-MNIST not available offline: using the kit's synthetic stand-in (10 classes, 28x28): "
                   "500 training and 200 validation images"]
    X, y = next(iter(train))
    assert X.shape == (64, 1, 28, 28) and X.dtype == torch.float32 and 0 <= X.min() and X.max() <= 1
    assert y.shape == (64,) and y.dtype == torch.int64
    assert len(train.dataset) == 500 and len(val.dataset) == 200
    labels = torch.cat([y for _, y in val])
    assert labels.min() == 0 and labels.max() == 9 and len(labels.unique()) == 10
    assert data.text_labels(torch.tensor([0, 9])) == ["t-shirt", "ankle boot"]


def test_the_stand_in_has_the_real_sets_sizes_and_resizes(capsys):
    assert data.FASHION_MNIST_SIZES == (60_000, 10_000)
    _, val = data.fashion_mnist(10, resize=32, num_train=10, num_val=20, quiet=True)
    X, _ = next(iter(val))
    assert X.shape == (10, 1, 32, 32) and 0 <= X.min() and X.max() <= 1
    assert capsys.readouterr().out == ""


def test_the_stand_in_is_deterministic_and_a_prefix_of_the_larger_set():
    a, la = synthetic.fashion_images(1500, seed=0)
    b, lb = synthetic.fashion_images(2000, seed=0)
    assert a.dtype == torch.uint8 and a.shape == (1500, 28, 28)
    assert torch.equal(a, b[:1500]) and torch.equal(la, lb[:1500])
    c, _ = synthetic.fashion_images(1500, seed=1)
    assert not torch.equal(a, c)


def test_the_stand_in_is_learnable_by_softmax_regression():
    torch.manual_seed(0)
    train, val = data.fashion_mnist(256, num_train=3000, num_val=1000, quiet=True)
    W = torch.normal(0, 0.01, (784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    history = training.fit(lambda X: X.reshape(-1, 784) @ W + b, torch.nn.CrossEntropyLoss(),
                           torch.optim.SGD([W, b], lr=0.1), train, val, num_epochs=3)
    assert history["val_acc"][-1] > 0.6, history  # chance is 0.1


def idx_gz(magic, dims, payload: bytes) -> bytes:
    return gzip.compress(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload,
                         mtime=0)


def test_real_fashion_mnist_comes_through_torchvision(server, monkeypatch, cache, capsys):
    """torchvision's own FashionMNIST downloads (from the test server), checks and reads the files."""
    import torchvision
    assert torchvision.datasets.FashionMNIST.mirrors[0] == FASHION_MNIST_MIRROR, "the kit probes another host"
    images = torch.arange(6 * 28 * 28, dtype=torch.int64).remainder(251).to(torch.uint8).reshape(6, 28, 28)
    labels = torch.tensor([3, 1, 4, 1, 5, 9], dtype=torch.uint8)
    files = {}
    for split in ("train", "t10k"):
        files[f"{split}-images-idx3-ubyte.gz"] = idx_gz(2051, (6, 28, 28), images.numpy().tobytes())
        files[f"{split}-labels-idx1-ubyte.gz"] = idx_gz(2049, (6,), labels.numpy().tobytes())
    server.files.update(files)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", [server.url])
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources",
                        [(name, hashlib.md5(body).hexdigest()) for name, body in files.items()])
    monkeypatch.setattr(data, "FASHION_MNIST_MIRROR", server.url)
    _, val = data.fashion_mnist(6)
    assert capsys.readouterr().out == f"Fashion-MNIST from {cache}: 6 training and 6 validation images\n"
    X, y = next(iter(val))
    assert torch.equal(X, images.unsqueeze(1).float() / 255) and y.tolist() == [3, 1, 4, 1, 5, 9]
    assert (cache / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte").exists()
    requests = len(server.requests)
    data.fashion_mnist(6, quiet=True)
    assert len(server.requests) == requests, "cached Fashion-MNIST was downloaded again"


def test_the_english_text_is_deterministic_long_and_zipf_like():
    text = synthetic.english_text()
    assert text == synthetic.english_text() and text != synthetic.english_text(seed=1)
    assert 100_000 <= len(text) < 102_000
    assert len(synthetic.english_text(20_000)) < 22_000
    words = re.sub("[^A-Za-z]+", " ", text).lower().split()
    freqs = [n for _, n in collections.Counter(words).most_common()]
    assert collections.Counter(words).most_common(1)[0][0] == "the"
    assert len(freqs) > 600, "too small a vocabulary for a Zipf plot"
    assert freqs[0] > 4 * freqs[9] > 4 * 4 * freqs[99], freqs[:100:9]  # a steep head ...
    assert sum(n <= 2 for n in freqs) > 150                             # ... and a long tail


def test_the_english_french_pairs_are_tab_separated_lines():
    text = synthetic.english_french()
    assert text == synthetic.english_french()
    lines = text.splitlines()
    assert 300 <= len(lines) <= 1000 and text.endswith("\n")
    for line in lines:
        english, french = line.split("\t")
        assert english[-1] in ".!?" and french[-1] in ".!?", line
    assert "Go.\tVa\u202f!" in lines  # French spacing before ! and ?, as the book's file
    assert len(lines[0]) <= len(lines[-1])
