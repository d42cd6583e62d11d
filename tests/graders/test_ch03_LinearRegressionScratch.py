"""ch03-LinearRegressionScratch's grader: reference full marks, stub zero, sound alternatives full marks, the book's
listing loses exactly what the lesson says, and realistic mistakes lose points with a message that names them."""
from .proving import assert_full_marks, failed, standard_proofs
from autograder.grade import grade_code

EX = "ch03-LinearRegressionScratch"

# book 3.4.1-3.4.3, PyTorch tab, as printed (d2l.normal is torch.normal, d2l.reduce_mean is torch.mean)
BOOK_3_4 = """
class LinearRegressionScratch(Module):
    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, X):
        return torch.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y) ** 2 / 2
        return torch.mean(l)

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)
"""

REFERENCE_LIKE = """
class LinearRegressionScratch(Module):
    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = nn.Parameter(torch.normal(0, sigma, (num_inputs, 1)))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return X @ self.w + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
        return l.mean()

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)
"""


def variant(old, new):
    assert REFERENCE_LIKE.count(old) == 1, old
    return REFERENCE_LIKE.replace(old, new)


ALTERNATIVES = {
    "randn times sigma, matmul, a differently written mean": variant(
        "nn.Parameter(torch.normal(0, sigma, (num_inputs, 1)))", "nn.Parameter(torch.randn(num_inputs, 1) * sigma)")
    .replace("X @ self.w + self.b", "torch.matmul(X, self.w) + self.b")
    .replace("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2\n        return l.mean()",
             "return 0.5 * torch.mean((y_hat - y.view(-1, 1)) ** 2)"),
    "normal_ in place, a 0-dim bias, sum over 2n": variant(
        "nn.Parameter(torch.normal(0, sigma, (num_inputs, 1)))",
        "nn.Parameter(torch.empty(num_inputs, 1).normal_(0, sigma))")
    .replace("nn.Parameter(torch.zeros(1))", "nn.Parameter(torch.zeros(()))")
    .replace("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2\n        return l.mean()",
             "return ((y_hat - y.reshape(-1, 1)) ** 2).sum() / (2 * len(y_hat))"),
    "register_parameter, squeezed labels": variant(
        "self.w = nn.Parameter(torch.normal(0, sigma, (num_inputs, 1)))\n        self.b = nn.Parameter(torch.zeros(1))",
        "self.register_parameter('w', nn.Parameter(sigma * torch.randn(num_inputs, 1)))\n"
        "        self.register_parameter('b', nn.Parameter(torch.zeros(1)))")
    .replace("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2\n        return l.mean()",
             "return torch.square(y_hat.squeeze(-1) - y.squeeze(-1)).mean() / 2"),
}

MUTANTS = {
    "loss without the 1/2": (variant("** 2 / 2", "** 2"), ["test_loss_values", "test_loss_gradient"],
                             ["1/2 is missing"]),
    "loss summed over the minibatch": (variant("return l.mean()", "return l.sum()"), ["test_loss_values"],
                                       ["sum over the minibatch"]),
    "loss per example, no mean": (variant("return l.mean()", "return l"), ["test_loss_values"], ["0-dim"]),
    "labels not reshaped (book 3.4.2)": (variant("y.reshape(y_hat.shape)", "y"), ["test_loss_with_flat_labels"],
                                         ["(n, n)"]),
    "w a flat vector": (variant("(num_inputs, 1)))", "(num_inputs,)))"),
                        ["test_parameters_shapes", "test_forward_values"], ["expected (1500, 1)", "column"]),
    "sigma ignored": (variant("torch.normal(0, sigma, (num_inputs, 1))", "torch.normal(0, 0.01, (num_inputs, 1))"),
                      ["test_parameters_shapes"], ["standard deviation 0.5", "use the argument sigma"]),
    "variance passed as the standard deviation": (
        variant("torch.normal(0, sigma, (num_inputs, 1))", "torch.normal(0, sigma ** 2, (num_inputs, 1))"),
        ["test_parameters_shapes"], ["not the variance"]),
    "uniform initial weights": (variant("torch.normal(0, sigma, (num_inputs, 1))", "torch.rand(num_inputs, 1) * sigma"),
                                ["test_parameters_shapes"], ["uniformly"]),
    "zero initial weights": (variant("torch.normal(0, sigma, (num_inputs, 1))", "torch.zeros(num_inputs, 1)"),
                             ["test_parameters_shapes"], ["at random"]),
    "seeds inside the model": (variant("self.save_hyperparameters()\n", "self.save_hyperparameters()\n"
                                       "        torch.manual_seed(0)\n"),
                               ["test_parameters_shapes"], ["torch.manual_seed"]),
    "w without requires_grad": (variant("self.w = nn.Parameter(torch.normal(0, sigma, (num_inputs, 1)))",
                                        "self.w = torch.normal(0, sigma, (num_inputs, 1))"),
                                ["test_parameters_shapes", "test_forward_gradients", "test_parameters_follow"],
                                ["does not require gradients", "no gradient reached the model's w"]),
    "forward without the bias": (variant("return X @ self.w + self.b", "return X @ self.w"),
                                 ["test_forward_values", "test_forward_gradients"], ["bias is missing"]),
    "forward detaches w": (variant("return X @ self.w + self.b", "return X @ self.w.detach() + self.b"),
                           ["test_forward_gradients"], ["no gradient reached the model's w"]),
    "F.mse_loss": (variant("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2\n        return l.mean()",
                           "return nn.functional.mse_loss(y_hat, y.reshape(y_hat.shape)) / 2"),
                   ["test_written_from_scratch"], ["mse_loss", "write"]),
}


def test_sound_alternatives_get_full_marks():
    for name, code in ALTERNATIVES.items():
        assert_full_marks(EX, code)


def test_book_listing_loses_only_the_device_and_flat_labels():
    """The book's plain tensors with requires_grad=True do not follow model.to(device), and its loss broadcasts
    flat labels to (n, n); the lesson asks for nn.Parameter and a reshape, and says why. (On a GPU, its plain
    tensors stay on the CPU and every forward pass fails there too.)"""
    report = grade_code(EX, BOOK_3_4)
    lost = failed(report)
    assert set(lost) == {"test_parameters_follow_the_model_to_its_device", "test_loss_with_flat_labels"}, \
        report.summary()
    assert report.score == 8.5, report.summary()
    assert "nn.Parameter" in lost["test_parameters_follow_the_model_to_its_device"]
    assert "(n, n)" in lost["test_loss_with_flat_labels"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
