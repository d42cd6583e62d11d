"""Grader for ch03-SyntheticRegressionData (book 3.3): X ~ N(0, 1) of shape (n, len(w)), y = X w + b + noise as a
column, the first num_train rows for training, and `get_dataloader(train)`: training minibatches in a new random
order on every pass, validation minibatches in order, the last minibatch shorter.

The data set is built with `student.new(w, b, ...)` from a seed; `self.X` and `self.y` are read through the
object, and one pass of minibatches through the lesson's `DataModule.all_batches(train)` (a generator cannot be
sent). Each minibatch row is located in `self.X`, so order, coverage and pairing are checked exactly; the
random parts (features, noise) are checked against their distributions with bounds of 5 standard errors.
"""
import math

import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_shape
from autograder.graders.common.models import build, device_of, read

F64 = torch.float64
W_BOOK, B_BOOK = [2.0, -3.4], 4.2
NAMES_HINT = "keep the features in self.X and the labels in self.y (the book's names)."
COLUMN_HINT = ("y is a column of shape (n, 1): X @ w.reshape(-1, 1) is (n, 1), and the noise is drawn with shape "
               "(n, 1). With w left 1-D, X @ w is (n,), and adding noise of shape (n, 1) broadcasts to (n, n).")
LOADER_HINT = ("get_dataloader(train) yields tuples (X_batch, y_batch): rows self.X[indices] and the labels "
               "self.y[indices] of the same indices.")
SHUFFLE_HINT = ("shuffle the training indices on every call of get_dataloader(True), e.g. "
                "indices = torch.randperm(self.num_train), and yield them batch_size at a time.")
DEVICE_HINT = ("make the data on w's device: torch.randn(n, len(w), device=w.device) for X and for the noise. "
               "torch.randn(...) alone makes them on the CPU, and X @ w then fails for a w on a GPU.")


def describe(w, b, **kw):
    args = "".join(f", {k}={v}" for k, v in kw.items())
    return f"SyntheticRegressionData(w={[round(v, 4) for v in w]}, b={b}{args})"


class Data:
    """The student's data set, its X and y, and its minibatches located in X."""

    def __init__(self, student, device, w=W_BOOK, b=B_BOOK, seed=0, **kw):
        self.call = describe(w, b, **kw)
        self.w, self.b = torch.tensor(w, dtype=F64), b
        self.num_train, self.num_val = kw.get("num_train", 1000), kw.get("num_val", 1000)
        self.batch_size = kw.get("batch_size", 32)
        self.inst = build(student, self.call, torch.tensor(w, device=device), b, seed=seed,
                          hint="the constructor is SyntheticRegressionData(w, b, noise=0.01, num_train=1000, "
                               "num_val=1000, batch_size=32), as in the book.", **kw)
        self.X = read(self.inst, "X", f"self.X of {self.call}", NAMES_HINT)
        self.y = read(self.inst, "y", f"self.y of {self.call}", NAMES_HINT)
        self._rows = None

    @property
    def n(self):
        return self.num_train + self.num_val

    def expect_shapes(self):
        d = len(self.w)
        expect_shape(self.X, (self.n, d), f"self.X of {self.call}",
                     "X holds all num_train + num_val examples, one row of len(w) features each: "
                     "torch.randn(num_train + num_val, len(w)).")
        expect_shape(self.y, (self.n, 1), f"self.y of {self.call}", COLUMN_HINT)
        for name, t in (("X", self.X), ("y", self.y)):
            if t.dtype != torch.float32:
                raise Mistake(f"self.{name} of {self.call} has dtype {t.dtype}, expected torch.float32.",
                              "draw with torch.randn (float32, like w); numpy's random numbers are float64.")

    def batches(self, train: bool):
        what = f"get_dataloader(train={train}) of {self.call}"
        try:
            got = self.inst.bound("all_batches").run(train).value
        except StudentError as e:
            as_mistake(e, what, LOADER_HINT)
        if not isinstance(got, list) or not all(
                isinstance(bt, tuple) and len(bt) == 2 and all(isinstance(t, torch.Tensor) for t in bt) for bt in got):
            raise Mistake(f"{what} did not yield pairs of tensors (X_batch, y_batch).", LOADER_HINT)
        return got

    def rows(self):
        if self._rows is None:
            self._rows = {tuple(r): i for i, r in enumerate(self.X.tolist())}
        return self._rows

    def locate(self, batches, train: bool):
        """The index in self.X of every row of every minibatch, one list per minibatch."""
        what = f"get_dataloader(train={train}) of {self.call}"
        out = []
        for k, (Xb, yb) in enumerate(batches):
            if Xb.dim() != 2 or Xb.shape[1] != self.X.shape[1]:
                raise Mistake(f"minibatch {k} of {what} has features of shape {tuple(Xb.shape)}; expected "
                              f"(batch size, {self.X.shape[1]}).", LOADER_HINT)
            idx = []
            for r in Xb.tolist():
                if tuple(r) not in self.rows():
                    raise Mistake(f"minibatch {k} of {what} holds a row that is not a row of self.X.",
                                  LOADER_HINT + " Do not make new data in get_dataloader.")
                idx.append(self.rows()[tuple(r)])
            out.append(idx)
        return out


# -- tests ---------------------------------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_shapes_and_dtype(student, device):
    for w, kw in ((W_BOOK, {"num_train": 100, "num_val": 50}),
                  ([0.5, -1.0, 1.5, 2.0, -0.3], {"num_train": 30, "num_val": 20, "batch_size": 8})):
        Data(student, device, w, 1.0 if len(w) > 2 else B_BOOK, **kw).expect_shapes()


@pytest.mark.points(1)
def test_features_are_standard_normal(student, device):
    data = Data(student, device, [1.0, -2.0, 0.5], 0.3, num_train=1200, num_val=800)
    data.expect_shapes()
    X = data.X.to(F64)
    n = X.numel()
    mean, std = X.mean().item(), X.std().item()
    mean_bound, std_bound = 5 / math.sqrt(n), 5 / math.sqrt(2 * n)
    if abs(mean) > mean_bound or abs(std - 1) > std_bound:
        hint = ("torch.rand draws uniformly from [0, 1); the features are standard normal: torch.randn."
                if abs(mean - 0.5) < 0.05 else "the features are standard normal: torch.randn(n, len(w)).")
        raise Mistake(f"the features self.X of {data.call} have mean {mean:.4g} and standard deviation {std:.4g}; "
                      f"from N(0, 1) they should have mean 0 +- {mean_bound:.2g} and standard deviation "
                      f"1 +- {std_bound:.2g}.", hint)


def fit(X, y):
    """Least squares: the w and b that the labels actually follow."""
    A = torch.cat([X, torch.ones(len(X), 1, dtype=F64)], dim=1)
    beta = torch.linalg.lstsq(A, y).solution.reshape(-1)
    return beta[:-1], beta[-1].item()


@pytest.mark.points(2)
def test_labels_follow_the_formula(student, device):
    for w, b, noise, kw in ((W_BOOK, B_BOOK, 0.01, {}),
                            ([0.5, 1.0, -1.5, 2.0], -1.0, 0.5, {"num_train": 600, "num_val": 400}),
                            ([3.0, -1.0], 0.25, 0.0, {"num_train": 50, "num_val": 10})):
        data = Data(student, device, w, b, noise=noise, **kw)
        data.expect_shapes()
        X, y = data.X.cpu().to(F64), data.y.cpu().to(F64)
        r = (y - (X @ data.w.reshape(-1, 1) + b)).reshape(-1)
        n = len(r)
        slack = 1e-5 * (1 + y.abs().max().item())      # float32 rounding of the labels
        mean, std = r.mean().item(), r.std().item()
        mean_bound, std_bound = 5 * noise / math.sqrt(n) + slack, 5 * noise / math.sqrt(2 * n) + slack
        if abs(mean) <= mean_bound and abs(std - noise) <= std_bound:
            continue
        w_fit, b_fit = fit(X, y)
        follows = (f"Your labels follow y = X w + b + noise with w = {[round(v, 3) for v in w_fit.tolist()]}, "
                   f"b = {b_fit:.3f}, and the noise y - (X w + b) has mean {mean:.3g} and standard deviation "
                   f"{std:.3g}")
        expected = (f"expected w = {w}, b = {b} and noise of mean 0 +- {mean_bound:.2g} and standard deviation "
                    f"{noise} +- {std_bound:.2g}")
        close_w = torch.allclose(w_fit, data.w, atol=0.05 + 5 * noise)
        uniform = noise > 0 and abs(mean - noise / 2) < mean_bound and abs(std - noise / math.sqrt(12)) < std_bound
        if not close_w:
            hint = "the labels are X @ w.reshape(-1, 1) + b + noise, with the w given to the constructor."
        elif uniform:
            hint = "torch.rand is uniform on [0, 1); the noise is normal with mean 0: torch.randn(n, 1) * noise."
        elif abs(b_fit - b) > 0.05 + 5 * noise:
            hint = "add the bias b to every label: X @ w.reshape(-1, 1) + b + noise."
        elif noise > 0 and std < 0.1 * noise:
            hint = ("the noise is one number for all examples: draw one value per example, torch.randn(n, 1) * noise."
                    if abs(mean) > mean_bound else "the noise is missing: add torch.randn(n, 1) * noise.")
        elif abs(std - 1) < 0.1 and noise != 1:
            hint = "the noise has standard deviation 1: multiply torch.randn(n, 1) by noise."
        elif noise == 0:
            hint = "with noise=0 the labels are exactly X w + b: multiply the standard normal noise by noise."
        else:
            hint = "the noise is drawn independently for each example from N(0, noise^2): torch.randn(n, 1) * noise."
        raise Mistake(f"{follows} ({data.call}); {expected}.", hint)


@pytest.mark.points(1)
def test_reproducible_under_a_seed(student, device):
    kw = {"num_train": 40, "num_val": 20}
    a, b, c = (Data(student, device, seed=s, **kw) for s in (3, 3, 4))
    hint = ("draw with torch (torch.randn), whose generator torch.manual_seed sets; numpy's or Python's random "
            "numbers do not follow it. Do not call torch.manual_seed inside the class.")
    if not (torch.equal(a.X, b.X) and torch.equal(a.y, b.y)):
        raise Mistake(f"{a.call} built twice after torch.manual_seed(3) gave different data.", hint)
    if torch.equal(a.X, c.X):
        raise Mistake(f"{a.call} built after torch.manual_seed(3) and after torch.manual_seed(4) gave the same "
                      "features.", hint)


def flat(located):
    return [i for idx in located for i in idx]


PARTIAL_HINT = ("the last, shorter minibatch is missing: step through range(0, n, batch_size) and take "
                "indices[i:i + batch_size]; the last slice is simply shorter.")


@pytest.mark.points(1.5)
def test_training_batches_shuffled_on_every_pass(student, device):
    data = Data(student, device, num_train=100, num_val=50, batch_size=10)
    first, second = (data.locate(data.batches(True), True) for _ in range(2))
    what = f"one pass of get_dataloader(train=True) of {data.call}"
    order = flat(first)
    if any(i >= data.num_train for i in order):
        raise Mistake(f"{what} includes validation examples (rows num_train and beyond of self.X).",
                      "training minibatches come from the first num_train examples only.")
    if sorted(order) != list(range(data.num_train)):
        missing = data.num_train - len(set(order))
        repeats = len(order) != len(set(order))
        raise Mistake(f"{what} visits {len(order)} examples, {len(set(order))} of them different ({missing} of the "
                      f"{data.num_train} training examples never); each should come exactly once.",
                      "shuffle a permutation of the training indices (torch.randperm(self.num_train) or "
                      "random.shuffle); drawing indices with replacement (torch.randint) repeats some and skips "
                      "others." if repeats else PARTIAL_HINT)
    in_order = [flat(p) == sorted(flat(p)) for p in (first, second)]
    if all(in_order):
        raise Mistake(f"{what} gives the training examples in their order 0, 1, 2, ...", SHUFFLE_HINT)
    if all(idx == list(range(idx[0], idx[0] + len(idx))) for p in (first, second) for idx in p):
        raise Mistake(f"{what} keeps consecutive examples together and only shuffles the order of the minibatches.",
                      "shuffle the examples' indices, then cut them into minibatches.")
    if flat(second) == order:
        raise Mistake(f"two passes of get_dataloader(train=True) of {data.call} gave the examples in the same order.",
                      "draw a new order on every call of get_dataloader (not once in __init__).")


@pytest.mark.points(1)
def test_validation_batches_in_order(student, device):
    data = Data(student, device, num_train=100, num_val=50, batch_size=32)
    order = flat(data.locate(data.batches(False), False))
    expected = list(range(data.num_train, data.n))
    if order != expected:
        if sorted(order) == expected:
            raise Mistake(f"get_dataloader(train=False) of {data.call} shuffles the validation examples.",
                          "validation minibatches come in order: indices num_train, num_train + 1, ...; shuffle "
                          "only when train is True.")
        hint = (PARTIAL_HINT if order and order == expected[:len(order)] else
                "the validation set is the rows after the training set: "
                "range(self.num_train, self.num_train + self.num_val).")
        raise Mistake(f"get_dataloader(train=False) of {data.call} gives the examples {order[:5]}... of self.X "
                      f"({len(order)} in all); expected the validation examples {data.num_train}, "
                      f"{data.num_train + 1}, ..., {data.n - 1} in order.", hint)


@pytest.mark.points(1.5)
def test_batch_sizes_with_a_partial_last_batch(student, device):
    for num_train, num_val, batch_size in ((100, 50, 32), (64, 16, 16), (7, 3, 1), (5, 3, 8)):
        data = Data(student, device, num_train=num_train, num_val=num_val, batch_size=batch_size)
        for train, size in ((True, num_train), (False, num_val)):
            sizes = [len(Xb) for Xb, yb in data.batches(train)]
            expected = [batch_size] * (size // batch_size) + ([size % batch_size] if size % batch_size else [])
            if sizes != expected:
                if sizes == [batch_size] * (size // batch_size):
                    hint = PARTIAL_HINT
                elif sizes and sizes[-1] == 0:
                    hint = "a minibatch is empty: range(0, n, batch_size) already stops before n."
                else:
                    hint = "minibatch i holds indices[i:i + batch_size] for i in range(0, n, batch_size)."
                shown = sizes if len(sizes) <= 12 else sizes[:10] + ["..."]
                raise Mistake(f"get_dataloader(train={train}) of {data.call} gave minibatches of sizes {shown}; "
                              f"{size} examples in minibatches of {batch_size} should give {expected}.", hint)


@pytest.mark.points(0.5)
def test_minibatches_pair_features_with_labels(student, device):
    data = Data(student, device, num_train=60, num_val=30, batch_size=16)
    for train in (True, False):
        batches = data.batches(train)
        for k, ((Xb, yb), idx) in enumerate(zip(batches, data.locate(batches, train))):
            expect_shape(yb, (len(idx), 1), f"the labels of minibatch {k} of get_dataloader(train={train}) of "
                         f"{data.call}", "y_batch = self.y[indices], a column like self.y.")
            if not torch.equal(yb.cpu(), data.y.cpu()[idx]):
                raise Mistake(f"in minibatch {k} of get_dataloader(train={train}) of {data.call}, the labels are not "
                              "those of the rows of X next to them.",
                              "index X and y with the same indices: self.X[indices], self.y[indices].")


@pytest.mark.points(0.5)
def test_data_on_the_device_of_w(student, device):
    Data(student, device, num_train=20, num_val=10).expect_shapes()
    call = describe(W_BOOK, B_BOOK, num_train=20, num_val=10) + " with w on another device"
    try:
        inst = student.new(torch.empty(2, device="meta"), B_BOOK, num_train=20, num_val=10, seed=0)
    except StudentError as e:
        if any(word in e.message.lower() for word in ("device", "meta")):
            raise Mistake(f"{call} raised {e.type}: {e.message}", DEVICE_HINT) from None
        as_mistake(e, call)
    for name in ("X", "y"):
        where = device_of(read(inst, name, f"self.{name} of {call}", NAMES_HINT))
        if where != "meta":
            raise Mistake(f"self.{name} of {call} was made on {where}, not on w's device.", DEVICE_HINT)
