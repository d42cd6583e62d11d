"""The shared training loop on problems small enough to run in milliseconds."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from d2lkit import figures, training


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])[y] + torch.randn(n, 2, generator=g)
    return DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True)


def test_fit_with_a_torch_optimizer_lowers_the_loss_and_keeps_a_history():
    torch.manual_seed(0)
    net = nn.Linear(2, 3)
    board = figures.ProgressBoard(live=False)
    h = training.fit(net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), blobs(), blobs(seed=1),
                     num_epochs=4, board=board)
    assert set(h) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"}
    assert h["epoch"] == [1, 2, 3, 4] and all(len(v) == 4 for v in h.values())
    assert h["train_loss"][-1] < h["train_loss"][0] and h["val_acc"][-1] > 0.9
    assert list(board.data) == ["train loss", "val loss", "val acc"]
    # 10 batches an epoch: points_per_epoch=4 draws the mean of every 2, 5 points an epoch
    assert len(board.data["train loss"]) == 4 * 5 and len(board.data["val acc"]) == 4


def test_fit_with_the_books_updater_function_and_per_example_loss():
    torch.manual_seed(0)
    W = torch.zeros(2, 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)

    def sgd(batch_size):  # book 3.4: the gradient of the summed loss, divided here
        with torch.no_grad():
            for p in (W, b):
                p -= 0.1 * p.grad / batch_size
                p.grad.zero_()

    cross_entropy = nn.CrossEntropyLoss(reduction="none")
    h = training.fit(lambda X: X @ W + b, cross_entropy, sgd, blobs(), num_epochs=3)
    assert set(h) == {"epoch", "train_loss", "train_acc"}
    assert h["train_loss"][0] > h["train_loss"][-1] and h["train_acc"][-1] > 0.9


def test_fit_is_deterministic_given_the_seed():
    def run():
        torch.manual_seed(1)
        net = nn.Linear(2, 3)
        return training.fit(net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), blobs(),
                            blobs(seed=1), num_epochs=2)
    assert run() == run()


def test_accuracy_and_evaluate():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = torch.tensor([1, 1, 1])
    assert training.accuracy(y_hat, y) == 2 / 3 and training.accuracy(y_hat, y, averaged=False) == 2
    loader = DataLoader(TensorDataset(y_hat, y), batch_size=2)
    scores = training.evaluate(lambda X: X, loader, nn.CrossEntropyLoss())
    assert scores["acc"] == 2 / 3
    assert abs(scores["loss"] - nn.functional.cross_entropy(y_hat, y).item()) < 1e-6
