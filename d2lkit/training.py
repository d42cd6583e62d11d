"""The minimal training loop the lessons share (book 3.4, 4.5): epochs of minibatch updates, then validation.

`fit(model, loss, updater, train_iter, val_iter, num_epochs, board)` takes the pieces a lesson has built:
- `model`: an `nn.Module` or any function `X -> y_hat`;
- `loss`: `loss(y_hat, y)`, per example (the book's `cross_entropy`) or already averaged (`nn.CrossEntropyLoss()`);
- `updater`: a torch optimizer (or any object with `step()` and `zero_grad()`), or the book's `updater(batch_size)`
  function, which expects the gradient of the summed loss and divides by the batch size itself (book 3.4's `sgd`).
Nothing here is random: with `torch.manual_seed` before building the model and the loaders, a run repeats.
"""
from __future__ import annotations

import torch


def accuracy(y_hat: torch.Tensor, y: torch.Tensor, averaged: bool = True) -> float:
    """Share (or, averaged=False, number) of rows of `y_hat` whose largest entry is at the label in `y`."""
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    correct = float((y_hat.type(y.dtype) == y).sum())
    return correct / max(len(y), 1) if averaged else correct


def _modes(model, training: bool):
    if isinstance(model, torch.nn.Module):
        model.train(training)


def evaluate(model, data_iter, loss=None) -> dict:
    """Mean loss (if `loss` is given) and accuracy of `model` over `data_iter`, without gradients."""
    _modes(model, False)
    total_loss, correct, n = 0.0, 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            y_hat = model(X)
            if loss is not None:
                total_loss += _summed(loss(y_hat, y), len(y))
            correct += accuracy(y_hat, y, averaged=False)
            n += len(y)
    result = {"acc": correct / max(n, 1)}
    if loss is not None:
        result["loss"] = total_loss / max(n, 1)
    return result


def _summed(l: torch.Tensor, batch_size: int) -> float:
    """The loss summed over the batch, whether `loss` returned one value per example or their mean."""
    return float(l.sum()) if l.numel() > 1 else float(l) * batch_size


def fit(model, loss, updater, train_iter, val_iter=None, num_epochs: int = 3, board=None,
        points_per_epoch: int = 4) -> dict:
    """Train for `num_epochs` epochs; returns the history, one entry per epoch in each list:

        {"epoch": [1, 2, ...], "train_loss": [...], "train_acc": [...], "val_loss": [...], "val_acc": [...]}

    (the val_ lists only with `val_iter`). With a `board` (a `d2lkit.figures.ProgressBoard`), the training loss
    is drawn about `points_per_epoch` times an epoch (the mean over those batches) and the validation loss and
    accuracy after each epoch; the board's final figure is shown at the end.
    """
    history = {"epoch": [], "train_loss": [], "train_acc": []}
    if val_iter is not None:
        history.update(val_loss=[], val_acc=[])
    optimizer = hasattr(updater, "step") and hasattr(updater, "zero_grad")
    for epoch in range(num_epochs):
        _modes(model, True)
        total_loss, correct, n = 0.0, 0.0, 0
        num_batches = len(train_iter)
        every = max(1, num_batches // points_per_epoch)
        for i, (X, y) in enumerate(train_iter):
            y_hat = model(X)
            l = loss(y_hat, y)
            if optimizer:
                updater.zero_grad()
                l.mean().backward()
                updater.step()
            else:  # the book's updater(batch_size): gradient of the sum, divided by the batch size inside
                l.sum().backward()
                updater(X.shape[0])
            batch_loss = _summed(l.detach(), len(y))
            total_loss += batch_loss
            correct += accuracy(y_hat.detach(), y, averaged=False)
            n += len(y)
            if board is not None:
                board.draw(epoch + (i + 1) / num_batches, batch_loss / len(y), "train loss", every_n=every)
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(total_loss / n)
        history["train_acc"].append(correct / n)
        if val_iter is not None:
            scores = evaluate(model, val_iter, loss)
            history["val_loss"].append(scores["loss"])
            history["val_acc"].append(scores["acc"])
            if board is not None:
                board.draw(epoch + 1, scores["loss"], "val loss")
                board.draw(epoch + 1, scores["acc"], "val acc")
    if board is not None:
        board.show()
    return history
