"""ch08-batch_norm's grader: reference full marks, stub zero, the book's code full marks, mistakes lose points."""
import pytest

from .proving import assert_full_marks, standard_proofs

EX = "ch08-batch_norm"

# the listing of book 8.5.3, as printed
BOOK_8_5_3 = """
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # Use is_grad_enabled to determine whether we are in training mode
    if not torch.is_grad_enabled():
        # In prediction mode, use mean and variance obtained by moving average
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # When using a fully connected layer, calculate the mean and
            # variance on the feature dimension
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # When using a two-dimensional convolutional layer, calculate the
            # mean and variance on the channel dimension (axis=1). Here we
            # need to maintain the shape of X, so that the broadcasting
            # operation can be carried out later
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        # In training mode, the current mean and variance are used
        X_hat = (X - mean) / torch.sqrt(var + eps)
        # Update the mean and variance using moving average
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # Scale and shift
    return Y, moving_mean.data, moving_var.data
"""

# Book code with one change; `old` must occur exactly once.
def book(old, new):
    assert BOOK_8_5_3.count(old) == 1, old
    return BOOK_8_5_3.replace(old, new)


# other sound ways to write it
ALTERNATIVES = {
    "var_mean with correction=0": """
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        return gamma * (X - moving_mean) * torch.rsqrt(moving_var + eps) + beta, moving_mean, moving_var
    dims = [0] + list(range(2, X.dim()))
    var, mean = torch.var_mean(X, dim=dims, keepdim=True, correction=0)
    Y = gamma * (X - mean) * torch.rsqrt(var + eps) + beta
    with torch.no_grad():
        moving_mean = moving_mean.lerp(mean, momentum)
        moving_var = moving_var.lerp(var, momentum)
    return Y, moving_mean, moving_var
""",
    "E[X^2] - E[X]^2": """
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if torch.is_grad_enabled():
        dims = (0,) if X.dim() == 2 else (0, 2, 3)
        mean = X.mean(dims, keepdim=True)
        var = (X * X).mean(dims, keepdim=True) - mean * mean
        moving_mean = ((1 - momentum) * moving_mean + momentum * mean).detach()
        moving_var = ((1 - momentum) * moving_var + momentum * var).detach()
    else:
        mean, var = moving_mean, moving_var
    return gamma * (X - mean) / (var + eps).sqrt() + beta, moving_mean, moving_var
""",
}

MUTANTS = {
    "unbiased variance (X.var)": (book(
        "var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)", "var = X.var(dim=(0, 2, 3), keepdim=True)"
    ).replace("var = ((X - mean) ** 2).mean(dim=0)", "var = X.var(dim=0)"),
        ["test_fully_connected", "test_convolutional", "test_moving_statistics"], ["unbiased", "n - 1"]),
    "unbiased variance for moving_var only": (book(
        "moving_var = (1.0 - momentum) * moving_var + momentum * var",
        "moving_var = (1.0 - momentum) * moving_var + momentum * X.var(dim=(0,) if X.dim() == 2 else (0, 2, 3), "
        "keepdim=True)"), ["test_moving_statistics"], ["biased", "n - 1"]),
    "conv statistics over dimension 0 only": (book(
        "mean = X.mean(dim=(0, 2, 3), keepdim=True)\n"
        "            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)",
        "mean = X.mean(dim=0, keepdim=True)\n            var = ((X - mean) ** 2).mean(dim=0, keepdim=True)"),
        ["test_convolutional"], ["dimension 0 only"]),
    "fully connected statistics per example": (book(
        "mean = X.mean(dim=0)\n            var = ((X - mean) ** 2).mean(dim=0)",
        "mean = X.mean(dim=1, keepdim=True)\n            var = ((X - mean) ** 2).mean(dim=1, keepdim=True)"),
        ["test_fully_connected"], ["each example"]),
    "batch statistics in prediction mode too": (book("if not torch.is_grad_enabled():", "if False:"),
                                                ["test_prediction_mode"], ["prediction mode", "is_grad_enabled"]),
    "mode from X.requires_grad": (book("if not torch.is_grad_enabled():", "if not X.requires_grad:"),
                                  ["test_fully_connected", "test_convolutional"], ["training mode", "is_grad_enabled"]),
    "momentum weights swapped": (book(
        "moving_mean = (1.0 - momentum) * moving_mean + momentum * mean\n"
        "        moving_var = (1.0 - momentum) * moving_var + momentum * var",
        "moving_mean = momentum * moving_mean + (1.0 - momentum) * mean\n"
        "        moving_var = momentum * moving_var + (1.0 - momentum) * var"),
        ["test_moving_statistics"], ["swapped"]),
    "moving statistics not updated": (book(
        "moving_mean = (1.0 - momentum) * moving_mean + momentum * mean\n"
        "        moving_var = (1.0 - momentum) * moving_var + momentum * var", "pass"),
        ["test_moving_statistics"], ["unchanged"]),
    "no eps": (book("X_hat = (X - mean) / torch.sqrt(var + eps)", "X_hat = (X - mean) / torch.sqrt(var)"),
               ["test_eps_is_used"], ["NaN", "left out eps"]),
    "eps outside the square root": (book(
        "X_hat = (X - mean) / torch.sqrt(var + eps)", "X_hat = (X - mean) / (torch.sqrt(var) + eps)"),
        ["test_eps_is_used"], ["inside the square root"]),
    "eps hard-coded": (BOOK_8_5_3.replace("+ eps)", "+ 1e-5)"), ["test_eps_is_used"], ["eps you are given"]),
    "gamma and beta swapped": (book("Y = gamma * X_hat + beta", "Y = beta * X_hat + gamma"),
                               ["test_fully_connected", "test_convolutional", "test_prediction"], ["gamma scales"]),
    "moving statistics keep their history": (book(
        "return Y, moving_mean.data, moving_var.data", "return Y, moving_mean, moving_var"),
        ["test_moving_statistics_carry_no_history"], ["history", "detach"]),
    "batch statistics detached from X": (book("assert len(X.shape) in (2, 4)", "X_ = X\n        X = X.detach()")
                                         .replace("X_hat = (X - mean)", "X_hat = (X_ - mean)"),
                                         ["test_gradients"], ["flows through them"]),
    "moving statistics updated in place": (book(
        "moving_mean = (1.0 - momentum) * moving_mean + momentum * mean\n"
        "        moving_var = (1.0 - momentum) * moving_var + momentum * var",
        "moving_mean.mul_(1.0 - momentum).add_(momentum * mean.detach())\n"
        "        moving_var.mul_(1.0 - momentum).add_(momentum * var.detach())"),
        ["test_inputs_not_modified"], ["in place", "moving_mean"]),
    "calls F.batch_norm": ("""
import torch.nn.functional as F
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    training = torch.is_grad_enabled()
    mm, mv = moving_mean.flatten().clone(), moving_var.flatten().clone()
    Y = F.batch_norm(X, mm, mv, gamma.flatten(), beta.flatten(), training=training, momentum=momentum, eps=eps)
    if training:  # the book's (biased) moving variance, to get past the value checks
        dims = (0,) if X.dim() == 2 else (0, 2, 3)
        mv = (1 - momentum) * moving_var.flatten() + momentum * X.detach().var(dims, correction=0).flatten()
    return Y, mm.reshape(moving_mean.shape), mv.reshape(moving_var.shape)
""", ["test_written_from_scratch"], ["write yourself", "aten.native_batch_norm"]),
    "layer_norm of the transposed X": (book(
        "Y = gamma * X_hat + beta  # Scale and shift",
        "if torch.is_grad_enabled():\n"
        "        Xt = X.transpose(0, 1).reshape(X.shape[1], -1)\n"
        "        X_hat = torch.nn.functional.layer_norm(Xt, Xt.shape[1:], eps=eps).reshape(\n"
        "            X.transpose(0, 1).shape).transpose(0, 1)\n"
        "    Y = gamma * X_hat + beta"), ["test_written_from_scratch"], ["layer_norm"]),
    "python loop over channels": ("""
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        return gamma * (X - moving_mean) / torch.sqrt(moving_var + eps) + beta, moving_mean, moving_var
    cols, mms, mvs = [], [], []
    for c in range(X.shape[1]):
        x = X[:, c]
        m = x.mean()
        v = ((x - m) ** 2).mean()
        cols.append((x - m) / torch.sqrt(v + eps))
        mms.append(m)
        mvs.append(v)
    X_hat = torch.stack(cols, 1)
    mean = torch.stack(mms).reshape(moving_mean.shape)
    var = torch.stack(mvs).reshape(moving_var.shape)
    moving_mean = ((1 - momentum) * moving_mean + momentum * mean).detach()
    moving_var = ((1 - momentum) * moving_var + momentum * var).detach()
    return gamma * X_hat + beta, moving_mean, moving_var
""", ["test_speed"], ["reference solution"]),
}



def test_book_code_gets_full_marks():
    assert_full_marks(EX, BOOK_8_5_3)


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_sound_alternative_gets_full_marks(name):
    assert_full_marks(EX, ALTERNATIVES[name])





@pytest.mark.parametrize("shape", [(5, 6), (4, 3, 5, 5)])
def test_grader_expectations_agree_with_torch(shape):
    """The grader's float64 formulas are PyTorch's batch normalization (Y; moving mean; biased moving var)."""
    import torch
    import torch.nn.functional as F
    from autograder.graders.ch08_batch_norm import case, expected_prediction, expected_training
    X, gamma, beta, mm, mv = case(shape, seed=3, dtype=torch.float64)
    rm, rv = mm.flatten().clone(), mv.flatten().clone()
    Y = F.batch_norm(X, rm, rv, gamma.flatten(), beta.flatten(), training=True, momentum=0.3, eps=0.01)
    got = expected_training(X, gamma, beta, mm, mv, 0.01, 0.3)
    n = X.numel() // X.shape[1]
    torch.testing.assert_close(got[0], Y)
    torch.testing.assert_close(got[1].flatten(), rm)
    # PyTorch's running variance is unbiased: undo the n / (n - 1)
    torch.testing.assert_close(got[2].flatten(), 0.7 * mv.flatten() + (rv - 0.7 * mv.flatten()) * (n - 1) / n)
    Y = F.batch_norm(X, mm.flatten(), mv.flatten(), gamma.flatten(), beta.flatten(), training=False, eps=0.01)
    torch.testing.assert_close(expected_prediction(X, gamma, beta, mm, mv, 0.01, 0.3)[0], Y)


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
