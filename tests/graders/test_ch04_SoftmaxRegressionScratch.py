"""ch04-SoftmaxRegressionScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
from autograder.grade import grade_code

from .proving import assert_full_marks, failed, standard_proofs

EX = "ch04-SoftmaxRegressionScratch"

HEAD = """
class SoftmaxRegressionScratch(nn.Module):
    def __init__(self, num_inputs, num_outputs, lr, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_outputs, self.lr, self.sigma = num_inputs, num_outputs, lr, sigma
"""
INIT = """
        self.W = nn.Parameter(torch.normal(0, sigma, size=(num_inputs, num_outputs)))
        self.b = nn.Parameter(torch.zeros(num_outputs))
"""
FORWARD = """
    def forward(self, X):
        X = X.reshape((-1, self.W.shape[0]))
        return softmax(torch.matmul(X, self.W) + self.b)
"""


def model(init=INIT, forward=FORWARD):
    return HEAD + init + forward


# the book's listing (4.4.2) as printed: plain tensors with requires_grad and a parameters() method
BOOK_4_4 = HEAD + """
        self.W = torch.normal(0, sigma, size=(num_inputs, num_outputs),
                              requires_grad=True)
        self.b = torch.zeros(num_outputs, requires_grad=True)

    def parameters(self):
        return [self.W, self.b]
""" + FORWARD

MUTANTS = {
    "W transposed": (model(init="""
        self.W = nn.Parameter(torch.normal(0, sigma, size=(num_outputs, num_inputs)))
        self.b = nn.Parameter(torch.zeros(num_outputs))
""", forward="""
    def forward(self, X):
        X = X.reshape((-1, self.W.shape[1]))
        return softmax(X @ self.W.T + self.b)
"""), ["test_parameters_shapes", "test_forward_on_images", "test_gradients"], ["transposed", "(num_inputs, num_outputs)"]),
    "sigma forgotten": (model(init="""
        self.W = nn.Parameter(torch.randn(num_inputs, num_outputs))
        self.b = nn.Parameter(torch.zeros(num_outputs))
"""), ["test_parameters_shapes"], ["standard deviation", "multiply"]),
    "sigma used as the variance": (model(init="""
        self.W = nn.Parameter(torch.normal(0, sigma ** 2, size=(num_inputs, num_outputs)))
        self.b = nn.Parameter(torch.zeros(num_outputs))
"""), ["test_parameters_shapes"], ["not the variance"]),
    "uniform weights": (model(init="""
        self.W = nn.Parameter(torch.rand(num_inputs, num_outputs) * sigma)
        self.b = nn.Parameter(torch.zeros(num_outputs))
"""), ["test_parameters_shapes"], ["torch.rand", "normal"]),
    "random bias": (model(init="""
        self.W = nn.Parameter(torch.normal(0, sigma, size=(num_inputs, num_outputs)))
        self.b = nn.Parameter(torch.randn(num_outputs) * sigma)
"""), ["test_parameters_shapes"], ["expected zeros"]),
    "returns the logits": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.W.shape[0]))
        return X @ self.W + self.b
"""), ["test_forward_on_images", "test_other_sizes", "test_gradients"], ["logits", "softmax"]),
    "softmax over the batch": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.W.shape[0]))
        return torch.softmax(X @ self.W + self.b, dim=0)
"""), ["test_forward_on_images"], ["each row"]),
    "no bias": (model(forward="""
    def forward(self, X):
        return softmax(X.reshape((-1, self.W.shape[0])) @ self.W)
"""), ["test_forward_on_images"], ["bias b is missing"]),
    "784 hard-coded": (model(forward="""
    def forward(self, X):
        X = X.reshape(-1, 784)
        return softmax(X @ self.W + self.b)
"""), ["test_other_sizes", "test_gradients", "test_parameters_are_registered"], ["hard-code 784"]),
    "forgets to flatten": (model(forward="""
    def forward(self, X):
        return softmax(X @ self.W + self.b)
"""), ["test_forward_on_images", "test_other_sizes"], ["flatten each example first"]),
    "flattens with the dimensions the wrong way round": (model(forward="""
    def forward(self, X):
        X = X.reshape(self.W.shape[0], -1).T
        return softmax(X @ self.W + self.b)
"""), ["test_forward_on_images"], ["mixes the pixels of different examples"]),
    "detached output": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.W.shape[0]))
        with torch.no_grad():
            O = X @ self.W + self.b
        return softmax(O)
"""), ["test_gradients"], ["not connected", "no .detach()"]),
    "plain tensors without parameters()": (HEAD + """
        self.W = torch.normal(0, sigma, size=(num_inputs, num_outputs), requires_grad=True)
        self.b = torch.zeros(num_outputs, requires_grad=True)
""" + FORWARD, ["test_parameters_are_registered"], ["nn.Parameter", "still on cpu"]),
}

CORRECT = {
    "randn times sigma, view, flatten(1), (1, q) bias": model(init="""
        self.W = nn.Parameter(torch.randn(num_inputs, num_outputs) * sigma)
        self.b = nn.Parameter(torch.zeros(1, num_outputs))
""", forward="""
    def forward(self, X):
        return softmax(X.flatten(1) @ self.W + self.b)
"""),
    "addmm and reshape by num_inputs": model(forward="""
    def forward(self, X):
        return softmax(torch.addmm(self.b, X.reshape(X.shape[0], self.num_inputs), self.W))
"""),
    "book's listing with nn.Parameter": HEAD + """
        self.W = nn.Parameter(torch.normal(0, sigma, size=(num_inputs, num_outputs),
                              requires_grad=True))
        self.b = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
""" + FORWARD,
}


def test_correct_alternatives_get_full_marks():
    for name, code in CORRECT.items():
        assert_full_marks(EX, code)


def test_book_listing_loses_only_the_registration_test():
    """The book's plain tensors train on a CPU (its parameters() hands them to the optimiser), but model.to(device)
    leaves them behind: on a GPU every forward would fail. The lesson says so and asks for nn.Parameter."""
    report = grade_code(EX, BOOK_4_4)
    lost = failed(report)
    assert list(lost) == ["test_parameters_are_registered_and_follow_the_model"], report.summary()
    assert "nn.Parameter" in lost["test_parameters_are_registered_and_follow_the_model"]


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
