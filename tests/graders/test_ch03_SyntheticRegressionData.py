"""ch03-SyntheticRegressionData's grader: reference full marks, stub zero, sound alternatives (the book's concise
DataLoader version among them) full marks, the book's from-scratch listing loses exactly the device test, and
realistic mistakes lose points with a message that names them."""
import pytest

from .proving import assert_full_marks, failed, standard_proofs
from autograder.grade import grade_code

EX = "ch03-SyntheticRegressionData"

HEAD = """
class SyntheticRegressionData(DataModule):
    def __init__(self, w, b, noise=0.01, num_train=1000, num_val=1000, batch_size=32):
        super().__init__()
        self.save_hyperparameters()
"""

# book 3.3.1-3.3.2, PyTorch tab, as printed (d2l.randn is torch.randn, d2l.tensor is torch.tensor)
BOOK_3_3 = HEAD + """
        n = num_train + num_val
        self.X = torch.randn(n, len(w))
        noise = torch.randn(n, 1) * noise
        self.y = torch.matmul(self.X, torch.reshape(w, (-1, 1))) + b + noise

    def get_dataloader(self, train):
        if train:
            indices = list(range(0, self.num_train))
            # The examples are read in random order
            random.shuffle(indices)
        else:
            indices = list(range(self.num_train, self.num_train+self.num_val))
        for i in range(0, len(indices), self.batch_size):
            batch_indices = torch.tensor(indices[i: i+self.batch_size])
            yield self.X[batch_indices], self.y[batch_indices]
"""

INIT = """
        n = num_train + num_val
        self.X = torch.randn(n, len(w), device=w.device)
        noise = torch.randn(n, 1, device=w.device) * noise
        self.y = self.X @ w.reshape(-1, 1) + b + noise
"""

LOADER = """
    def get_dataloader(self, train):
        if train:
            indices = torch.randperm(self.num_train)
        else:
            indices = torch.arange(self.num_train, self.num_train + self.num_val)
        for i in range(0, len(indices), self.batch_size):
            batch_indices = indices[i:i + self.batch_size]
            yield self.X[batch_indices], self.y[batch_indices]
"""


NOISE = "torch.randn(n, 1, device=w.device) * noise"


def data(init=INIT, loader=LOADER):
    return HEAD + init + loader


def swap(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


ALTERNATIVES = {
    # book 3.3.3: the concise loader (the book's get_tensorloader, inlined), on w's device
    "book's concise DataLoader": data(loader="""
    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        dataset = torch.utils.data.TensorDataset(self.X[i], self.y[i])
        return torch.utils.data.DataLoader(dataset, self.batch_size, shuffle=train)
"""),
    "torch.normal noise, a row-wise product, randperm().split": data(init="""
        n = num_train + num_val
        self.X = torch.randn(n, len(w), device=w.device)
        eps = torch.normal(0.0, noise, (n, 1), device=w.device)
        self.y = (self.X * w).sum(dim=1, keepdim=True) + b + eps
""", loader="""
    def get_dataloader(self, train):
        if train:
            order = torch.randperm(self.num_train, device=self.X.device)
        else:
            order = torch.arange(self.num_train, self.num_train + self.num_val, device=self.X.device)
        for batch in order.split(self.batch_size):
            yield self.X[batch], self.y[batch]
"""),
    "book's loop with random.shuffle, on w's device": swap(swap(
        BOOK_3_3, "self.X = torch.randn(n, len(w))", "self.X = torch.randn(n, len(w), device=w.device)"),
        "noise = torch.randn(n, 1) * noise", "noise = torch.randn(n, 1, device=w.device) * noise"),
}

MUTANTS = {
    "noise not scaled": (swap(data(), NOISE, "torch.randn(n, 1, device=w.device)"),
                         ["test_labels_follow"], ["standard deviation 1", "multiply"]),
    "one noise value for all examples": (swap(data(), NOISE,
                                              "torch.randn(1, device=w.device) * noise"),
                                         ["test_labels_follow"], ["one number for all examples"]),
    "uniform noise": (swap(data(), NOISE, "torch.rand(n, 1, device=w.device) * noise"),
                      ["test_labels_follow"], ["uniform"]),
    "w not reshaped to a column": (swap(data(), "self.X @ w.reshape(-1, 1)", "self.X @ w"),
                                   ["test_shapes_and_dtype", "test_labels_follow"], ["(n, n)"]),
    "uniform features": (swap(data(), "self.X = torch.randn(", "self.X = torch.rand("),
                         ["test_features_are_standard_normal"], ["torch.rand draws uniformly"]),
    "bias forgotten": (swap(data(), " + b + noise", " + noise"), ["test_labels_follow"], ["add the bias"]),
    "numpy's generator": (swap(data(), "self.X = torch.randn(n, len(w), device=w.device)",
                               "self.X = torch.from_numpy(np.random.randn(n, len(w))).float().to(w.device)")
                          .replace("class Synthetic", "import numpy as np\n\nclass Synthetic"),
                          ["test_reproducible_under_a_seed"], ["numpy"]),
    "training in order": (swap(data(), "indices = torch.randperm(self.num_train)",
                               "indices = torch.arange(self.num_train)"),
                          ["test_training_batches"], ["in their order"]),
    "validation shuffled": (swap(data(), "torch.arange(self.num_train, self.num_train + self.num_val)",
                                 "self.num_train + torch.randperm(self.num_val)"),
                            ["test_validation_batches"], ["shuffles the validation"]),
    "validation from the start": (swap(data(), "torch.arange(self.num_train, self.num_train + self.num_val)",
                                       "torch.arange(self.num_val)"),
                                  ["test_validation_batches"], ["rows after the training set"]),
    "training over all examples": (swap(data(), "torch.randperm(self.num_train)",
                                        "torch.randperm(self.num_train + self.num_val)"),
                                   ["test_training_batches", "test_batch_sizes"], ["includes validation examples"]),
    "indices drawn with replacement": (swap(data(), "torch.randperm(self.num_train)",
                                            "torch.randint(0, self.num_train, (self.num_train,))"),
                                       ["test_training_batches"], ["exactly once", "torch.randint"]),
    "only the minibatch order shuffled": (swap(data(), """        for i in range(0, len(indices), self.batch_size):
            batch_indices = indices[i:i + self.batch_size]
            yield self.X[batch_indices], self.y[batch_indices]""",
                                               """        starts = list(range(0, len(indices), self.batch_size))
        if train:
            random.shuffle(starts)
            indices = torch.arange(self.num_train)
        for i in starts:
            batch_indices = indices[i:i + self.batch_size]
            yield self.X[batch_indices], self.y[batch_indices]"""),
        ["test_training_batches"], ["only shuffles the order of the minibatches"]),
    "order drawn once in __init__": (swap(swap(data(), "self.y = self.X @ w.reshape(-1, 1) + b + noise",
                                               "self.y = self.X @ w.reshape(-1, 1) + b + noise\n"
                                               "        self.order = torch.randperm(num_train)"),
                                          "indices = torch.randperm(self.num_train)", "indices = self.order"),
                                     ["test_training_batches"], ["new order on every call"]),
    "last partial minibatch dropped": (swap(data(), "range(0, len(indices), self.batch_size)",
                                            "range(0, len(indices) - self.batch_size + 1, self.batch_size)"),
                                       ["test_batch_sizes", "test_validation_batches"],
                                       ["last, shorter minibatch"]),
    "features and labels shuffled apart": (swap(data(), "yield self.X[batch_indices], self.y[batch_indices]",
                                                "yield self.X[batch_indices], self.y[batch_indices.flip(0)]"),
                                           ["test_minibatches_pair"], ["same indices"]),
}


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_sound_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])


def test_book_listing_loses_only_the_device():
    """The book makes X and the noise with torch.randn(...) on the CPU: right for a w on the CPU, an error for a w
    on a GPU (there every test fails); the lesson asks for w's device."""
    report = grade_code(EX, BOOK_3_3)
    lost = failed(report)
    assert set(lost) == {"test_data_on_the_device_of_w"}, report.summary()
    assert report.score == 9.5, report.summary()
    assert "device=w.device" in lost["test_data_on_the_device_of_w"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
