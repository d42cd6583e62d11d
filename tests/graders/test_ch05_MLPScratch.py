"""ch05-MLPScratch's grader: reference full marks, stub zero, every classic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch05-MLPScratch"

HEAD = """
class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_outputs, self.num_hiddens = num_inputs, num_outputs, num_hiddens
        self.lr, self.sigma = lr, sigma
"""
# the book's listing (5.2.1), as printed
INIT = """
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))
"""
FORWARD = """
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        H = relu(torch.matmul(X, self.W1) + self.b1)
        return torch.matmul(H, self.W2) + self.b2
"""
BOOK_5_2 = HEAD + INIT + FORWARD


def model(init=INIT, forward=FORWARD):
    return HEAD + init + forward


MUTANTS = {
    "num_hiddens and num_outputs swapped": (model(init="""
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_outputs) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_outputs))
        self.W2 = nn.Parameter(torch.randn(num_outputs, num_hiddens) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_hiddens))
"""), ["test_parameters_shapes", "test_forward_on_images"], ["num_outputs comes before num_hiddens"]),
    "sigma forgotten": (model(init="""
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens))
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs))
        self.b2 = nn.Parameter(torch.zeros(num_outputs))
"""), ["test_parameters_shapes"], ["multiply", "sigma"]),
    "no activation": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        return (X @ self.W1 + self.b1) @ self.W2 + self.b2
"""), ["test_forward_on_images", "test_other_sizes", "test_gradients"], ["activation is missing"]),
    "relu on the output too": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        return relu(relu(X @ self.W1 + self.b1) @ self.W2 + self.b2)
"""), ["test_forward_on_images"], ["output layer has no activation"]),
    "softmax at the output": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        return torch.softmax(relu(X @ self.W1 + self.b1) @ self.W2 + self.b2, dim=1)
"""), ["test_forward_on_images"], ["belongs to the loss"]),
    "bias outside the activation": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        return (relu(X @ self.W1) + self.b1) @ self.W2 + self.b2
"""), ["test_forward_on_images"], ["b1 goes inside"]),
    "sigmoid hidden layer": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        return torch.sigmoid(X @ self.W1 + self.b1) @ self.W2 + self.b2
"""), ["test_forward_on_images"], ["sigmoid"]),
    "784 hard-coded": (model(forward="""
    def forward(self, X):
        H = relu(X.reshape(-1, 784) @ self.W1 + self.b1)
        return H @ self.W2 + self.b2
"""), ["test_other_sizes", "test_gradients"], ["hard-code 784"]),
    "plain tensors": (HEAD + """
        self.W1 = (torch.randn(num_inputs, num_hiddens) * sigma).requires_grad_()
        self.b1 = torch.zeros(num_hiddens, requires_grad=True)
        self.W2 = (torch.randn(num_hiddens, num_outputs) * sigma).requires_grad_()
        self.b2 = torch.zeros(num_outputs, requires_grad=True)
""" + FORWARD, ["test_parameters_are_registered"], ["nn.Parameter"]),
    "hidden layer detached": (model(forward="""
    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        H = relu(X @ self.W1 + self.b1).detach()
        return H @ self.W2 + self.b2
"""), ["test_gradients"], ["no gradient reached W1"]),
}

CORRECT = {
    "flatten(1), @, (1, h) biases, torch.normal": model(init="""
        self.W1 = nn.Parameter(torch.normal(0, sigma, size=(num_inputs, num_hiddens)))
        self.b1 = nn.Parameter(torch.zeros(1, num_hiddens))
        self.W2 = nn.Parameter(torch.normal(0, sigma, size=(num_hiddens, num_outputs)))
        self.b2 = nn.Parameter(torch.zeros(1, num_outputs))
""", forward="""
    def forward(self, X):
        H = relu(X.flatten(1) @ self.W1 + self.b1)
        return H @ self.W2 + self.b2
"""),
    "addmm, torch's own relu": model(forward="""
    def forward(self, X):
        H = torch.relu(torch.addmm(self.b1, X.reshape(X.shape[0], -1), self.W1))
        return torch.addmm(self.b2, H, self.W2)
"""),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_5_2)


def test_correct_alternatives_get_full_marks():
    for code in CORRECT.values():
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
