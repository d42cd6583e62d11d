"""ch11-AddNorm's grader: reference and the book's listing full marks, correct alternatives full marks, stub zero,
every realistic mistake loses points."""
from .proving import assert_full_marks, standard_proofs

EX = "ch11-AddNorm"

# the listing of book 11.7.3, as printed
BOOK_11_7_3 = '''
class AddNorm(nn.Module):  #@save
    """The residual connection followed by layer normalization."""
    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)
'''
FORWARD = "return self.ln(self.dropout(Y) + X)"


def variant(old, new):
    assert BOOK_11_7_3.count(old) == 1, old
    return BOOK_11_7_3.replace(old, new)


def own_norm(var, dim=-1):
    return variant(FORWARD, f"""Z = self.dropout(Y) + X
        mean = Z.mean(dim={dim}, keepdim=True)
        var = {var}
        return self.ln.weight * (Z - mean) / torch.sqrt(var + 1e-5) + self.ln.bias""")


MUTANTS = {
    "no dropout": (variant(FORWARD, "return self.ln(Y + X)"), ["test_training_drops_out_Y"], ["dropped no element"]),
    "dropout on X instead of Y": (variant(FORWARD, "return self.ln(Y + self.dropout(X))"),
                                  ["test_training_drops_out_Y"], ["you dropped out X"]),
    "dropout on the sum": (variant(FORWARD, "return self.ln(self.dropout(Y + X))"),
                           ["test_training_drops_out_Y"], ["dropout applies to Y"]),
    "dropout after the normalization": (variant(FORWARD, "return self.dropout(self.ln(Y + X))"),
                                        ["test_training_drops_out_Y"], ["normalized result was dropped"]),
    "keep probability for drop probability": (variant("nn.Dropout(dropout)", "nn.Dropout(1 - dropout)"),
                                              ["test_training_drops_out_Y"], ["not 1 - dropout"]),
    "normalized before the residual addition": (variant(FORWARD, "return X + self.ln(self.dropout(Y))"),
                                                ["test_matches_layer_norm_of_the_sum", "test_float64"],
                                                ["before normalizing"]),
    "no residual connection": (variant(FORWARD, "return self.ln(self.dropout(Y))"),
                               ["test_matches_layer_norm_of_the_sum"], ["adds the input X"]),
    "F.dropout also in eval mode": (variant(FORWARD, "return self.ln(nn.functional.dropout(Y, self.dropout.p) + X)"),
                                    ["test_eval_mode_is_deterministic", "test_matches_layer_norm_of_the_sum"],
                                    ["training=self.training"]),
    "own layer norm with the unbiased variance": (own_norm("Z.var(dim=-1, keepdim=True)"),
                                                  ["test_matches_layer_norm_of_the_sum"], ["biased"]),
    "own layer norm over the positions": (own_norm("Z.var(dim=1, keepdim=True, unbiased=False)", dim=1),
                                          ["test_matches_layer_norm_of_the_sum"], ["over its features"]),
    "LayerNorm without its weight and bias": (
        variant("nn.LayerNorm(norm_shape)", "nn.LayerNorm(norm_shape, elementwise_affine=False)"),
        ["test_layer_norm_parameters"], ["ln.weight"]),
    "adds in place": (variant(FORWARD, "X += self.dropout(Y)\n        return self.ln(X)"),
                      ["test_inputs_not_modified"], ["in place"]),
    "the output detached": (variant(FORWARD, FORWARD + ".detach()"), ["test_gradients"], ["detach"]),
}

FUNCTIONAL = variant(FORWARD, """Z = X + nn.functional.dropout(Y, self.dropout.p, training=self.training)
        return nn.functional.layer_norm(Z, self.ln.normalized_shape, self.ln.weight, self.ln.bias, self.ln.eps)""")
OWN_NORM = own_norm("((Z - mean) ** 2).mean(dim=-1, keepdim=True)")


def test_book_listing_gets_full_marks():
    assert_full_marks(EX, BOOK_11_7_3)


def test_correct_alternatives_get_full_marks():
    for code in (FUNCTIONAL, OWN_NORM):
        assert_full_marks(EX, code)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
