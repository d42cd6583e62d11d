"""ch06-CenteredLayer's grader: reference full marks, stub zero, the book's layer full marks, mistakes lose points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch06-CenteredLayer"

# the listing of book 6.5.1, as printed
BOOK_6_5_1 = """
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()
"""


def layer(forward_body, base="nn.Module"):
    return f"""
class CenteredLayer({base}):
    def __init__(self):
        super().__init__()

    def forward(self, X):
{forward_body}
"""


MUTANTS = {
    "mean of each column": (layer("        return X - X.mean(dim=0)"),
                            ["test_matches_x_minus_mean"], ["each column"]),
    "mean of each row": (layer("        return X - X.mean(dim=-1, keepdim=True)"),
                         ["test_matches_x_minus_mean", "test_inside_nn_sequential"], ["each row"]),
    "row means without keepdim": (layer("        return X - X.mean(dim=1)"),
                                  ["test_matches_x_minus_mean"], ["keepdim=True"]),
    "divides the sum by the number of rows": (layer("        return X - X.sum() / len(X)"),
                                              ["test_matches_x_minus_mean"], ["numel"]),
    "standardises": (layer("        return (X - X.mean()) / X.std()"),
                     ["test_matches_x_minus_mean"], ["standardisation"]),
    "detaches the mean": (layer("        return X - X.mean().item()"),
                          ["test_gradient_matches_autograd", "test_gradients_through_nn_sequential"], ["G - mean(G)"]),
    "subtracts in place": (layer("        X -= X.mean()\n        return X"),
                           ["test_input_not_modified", "test_gradient_matches_autograd"], ["in place", "a new tensor"]),
    "not an nn.Module": ("""
class CenteredLayer:
    def __call__(self, X):
        return X - X.mean()
""", ["test_inside_nn_sequential"], ["nn.Module"]),
}


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_6_5_1)


def test_correct_alternatives_get_full_marks():
    assert_full_marks(EX, layer("        return X - X.sum() / X.numel()"))
    assert_full_marks(EX, layer("        return torch.sub(X, torch.mean(X))"))
    assert_full_marks(EX, layer("        dims = tuple(range(X.dim()))\n"
                                "        return X - X.mean(dim=dims, keepdim=True)"))
    assert_full_marks(EX, layer("        Y = X.clone()\n        Y -= X.mean()\n        return Y"))


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
