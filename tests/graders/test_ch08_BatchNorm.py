"""ch08-BatchNorm's grader: reference full marks, stub zero, the book's layer full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch08-BatchNorm"

# the listing of book 8.5.3, as printed
BOOK_8_5_3 = """
class BatchNorm(nn.Module):
    # num_features: the number of outputs for a fully connected layer or the
    # number of output channels for a convolutional layer. num_dims: 2 for a
    # fully connected layer and 4 for a convolutional layer
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        # The scale parameter and the shift parameter (model parameters) are
        # initialized to 1 and 0, respectively
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # The variables that are not model parameters are initialized to 0 and
        # 1
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        # If X is not on the main memory, copy moving_mean and moving_var to
        # the device where X is located
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        # Save the updated moving_mean and moving_var
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean,
            self.moving_var, eps=1e-5, momentum=0.1)
        return Y
"""


def book(old, new):
    assert BOOK_8_5_3.count(old) == 1, old
    return BOOK_8_5_3.replace(old, new)


BUFFERS = """
class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) + (1,) * (num_dims - 2)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X):
        Y, mm, mv = batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var, 1e-5, 0.1)
        self.moving_mean.copy_(mm)
        self.moving_var.copy_(mv)
        return Y
"""

MUTANTS = {
    "moving statistics not stored": (book(
        "Y, self.moving_mean, self.moving_var = batch_norm(", "Y, _, _ = batch_norm("),
        ["test_moving_statistics_are_kept"], ["keep what batch_norm returns"]),
    "moving_var starts at zeros": (book("self.moving_var = torch.ones(shape)", "self.moving_var = torch.zeros(shape)"),
                                   ["test_new_layer", "test_moving_statistics"], ["moving_var = ones"]),
    "fully connected parameters of shape (num_features,)": (book(
        "shape = (1, num_features)\n", "shape = (num_features,)\n"),
        ["test_parameters"], ["expected shape (1, 5)"]),
    "gamma a plain tensor": (book("self.gamma = nn.Parameter(torch.ones(shape))", "self.gamma = torch.ones(shape)"),
                             ["test_parameters", "test_parameter_gradients"], ["nn.Parameter"]),
    "gamma and beta initial values swapped": (book(
        "self.gamma = nn.Parameter(torch.ones(shape))\n        self.beta = nn.Parameter(torch.zeros(shape))",
        "self.gamma = nn.Parameter(torch.zeros(shape))\n        self.beta = nn.Parameter(torch.ones(shape))"),
        ["test_parameters"], ["starts as ones"]),
    "momentum 0.9": (book("momentum=0.1)", "momentum=0.9)"), ["test_moving_statistics"], ["momentum=0.1"]),
    "F.batch_norm inside": (book("""        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean,
            self.moving_var, eps=1e-5, momentum=0.1)""", """        Y = nn.functional.batch_norm(
            X, self.moving_mean.flatten(), self.moving_var.flatten(), self.gamma.flatten(), self.beta.flatten(),
            training=torch.is_grad_enabled(), momentum=0.1, eps=1e-5)"""),
        ["test_runs_batch_norm_not_the_library"], ["F.batch_norm"]),
}



def test_book_code_gets_full_marks():
    assert_full_marks(EX, BOOK_8_5_3)


def test_buffers_get_full_marks():
    assert_full_marks(EX, BUFFERS)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
