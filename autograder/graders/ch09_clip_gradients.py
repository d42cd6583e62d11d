"""Grader for ch09-clip_gradients: `clip_gradients(grad_clip_val, model)` scales every gradient of the model by
min(1, theta / ||g||), with ||g|| the global norm over all parameters (book 9.5.3).

The model is the lesson's `CharLM(...).model` (an RNNLMScratch with five parameters of different shapes), built where
the student's code runs. A forward and backward pass gives every parameter a `.grad`; the grader then overwrites the
gradients with values of its choosing, calls `CharLM.clip_gradients(theta)` (which calls the student's function with
the model) and reads the gradients and parameters back. Truth: torch.nn.utils.clip_grad_norm_ in float64 on the same
gradients (its 1e-6 in the denominator is far below the tolerance).
"""
import pytest
import torch

from autograder.checks import StudentError, as_mistake, expect_close, expect_not_used, seeded
from autograder.graders.common.sequences import char_lm, read_tensor

TEXT, V, H = "abcdefg", 7, 5
SHAPES = {"rnn.W_xh": (V, H), "rnn.W_hh": (H, H), "rnn.b_h": (H,), "W_hq": (H, V), "b_q": (V,)}
BANNED = {"functions": ["clip_grad_norm_", "clip_grad_norm", "clip_grads_with_norm_", "get_total_norm",
                        "_foreach_norm"],
          "aten": ["_foreach_norm"]}
BANNED_NAMES = BANNED["functions"] + [f"aten.{n}" for n in BANNED["aten"]]
RULE = ("norm = sqrt(sum over all parameters of (p.grad ** 2).sum()); if norm > grad_clip_val, multiply every p.grad "
        "by grad_clip_val / norm (in place, or assign p.grad); otherwise leave the gradients as they are.")


def gradients(seed, scale=1.0, big=None):
    """Gradients for the five parameters; `big` names one to make 30 times larger than the rest."""
    return {name: seeded(*shape, seed=seed + k, dtype=torch.float64, scale=scale * (30 if name == big else 1))
            for k, (name, shape) in enumerate(SHAPES.items())}


def truth(G, theta):
    """PyTorch's own torch.nn.utils.clip_grad_norm_, in float64, on parameters whose gradients are G."""
    params = {k: torch.zeros_like(g, requires_grad=True) for k, g in G.items()}
    for k, p in params.items():
        p.grad = G[k].clone()
    torch.nn.utils.clip_grad_norm_(list(params.values()), theta)
    return {k: p.grad for k, p in params.items()}


def diagnose(G, theta, got) -> str:
    norm = torch.sqrt(sum((g ** 2).sum() for g in G.values())).item()
    candidates = {
        "the gradients did not change: write the scaled values back into p.grad (p.grad *= factor, or p.grad = "
        "p.grad * factor); scaling a copy in a local variable, or the parameters themselves, leaves them as they "
        "were.": G,
        "you clipped each parameter's gradient by its own norm; use ONE norm over all the parameters together, so "
        "that every gradient is scaled by the same factor.":
            {k: g * min(1.0, theta / g.norm().item()) for k, g in G.items()},
        "the norm is the square root of the sum of squares: torch.sqrt(sum(...)).":
            {k: g * (theta / norm ** 2 if norm ** 2 > theta else 1.0) for k, g in G.items()},
        "the factor is grad_clip_val / norm, not norm / grad_clip_val.": {k: g * norm / theta for k, g in G.items()},
        "only scale when the norm exceeds grad_clip_val; a smaller gradient stays as it is.":
            {k: g * theta / norm for k, g in G.items()},
        "that is clipping by value (clamp); scale the whole gradient by grad_clip_val / norm instead, which keeps "
        "its direction.": {k: g.clamp(-theta, theta) for k, g in G.items()},
    }
    rnn = {k: g for k, g in G.items() if k.startswith("rnn.")}
    rnn_norm = torch.sqrt(sum((g ** 2).sum() for g in rnn.values())).item()
    candidates["you clipped only the RNN's parameters; use model.parameters(), which holds W_hq and b_q too."] = \
        {k: (g * min(1.0, theta / rnn_norm) if k.startswith("rnn.") else g) for k, g in G.items()}
    flat = torch.cat([got[k].double().cpu().reshape(-1) for k in SHAPES])
    for hint, wrong in candidates.items():
        w = torch.cat([wrong[k].reshape(-1) for k in SHAPES])
        if torch.allclose(flat, w, rtol=1e-4, atol=1e-7):
            return hint
    return RULE


def clip(student, sibling, device, G, theta, watch=False):
    """Set the gradients G, clip with theta, return (gradients, parameters before, parameters after, seen)."""
    lm = char_lm(sibling, student, TEXT, H, sigma=0.5, device=device)
    X = torch.tensor([[0, 1, 2], [3, 4, 5]], device=device)
    try:
        lm.bound("model").run(X)
        lm.backward([torch.ones(2, 3, V, device=device)])
    except StudentError as e:
        as_mistake(e, "the forward and backward pass of the lesson's model (given code)")
    for name, g in G.items():
        lm.set(f"model.{name}.grad", g.float().to(device))
    before = {k: read_tensor(lm, f"model.{k}", f"the parameter {k}") for k in SHAPES}
    what = (f"clip_gradients({theta}, model) for a model with 5 parameters ({', '.join(SHAPES)}) whose gradients have "
            f"a global norm of {torch.sqrt(sum((g ** 2).sum() for g in G.values())).item():.4g}")
    try:
        out = lm.bound("clip_gradients").run(theta, watch=BANNED if watch else None)
    except StudentError as e:
        as_mistake(e, what, "p.grad is a tensor you may scale in place: p.grad *= factor." if "leaf" in e.message
                   else "")
    got = {k: read_tensor(lm, f"model.{k}.grad", f"the gradient of {k} after {what}",
                          "scale p.grad; do not set it to None.") for k in SHAPES}
    after = {k: read_tensor(lm, f"model.{k}", f"the parameter {k} after {what}") for k in SHAPES}
    return what, got, before, after, out.seen


def check(student, sibling, device, G, theta, watch=False):
    what, got, before, after, seen = clip(student, sibling, device, G, theta, watch)
    G32 = {k: g.float().double() for k, g in G.items()}
    want = truth(G32, theta)
    for k in SHAPES:
        expect_close(got[k], want[k].float().to(got[k].device), f"the gradient of {k} after {what}",
                     lambda: diagnose(G32, theta, got))
    return what, before, after, seen


@pytest.mark.points(3)
def test_large_gradients_are_scaled_to_the_threshold(student, sibling, device):
    check(student, sibling, device, gradients(seed=1), theta=1.0)
    check(student, sibling, device, gradients(seed=2, scale=3.0), theta=2.5)


@pytest.mark.points(1.5)
def test_small_gradients_are_left_alone(student, sibling, device):
    check(student, sibling, device, gradients(seed=3, scale=0.05), theta=1.0)


@pytest.mark.points(2)
def test_one_norm_over_all_parameters(student, sibling, device):
    check(student, sibling, device, gradients(seed=4, scale=0.1, big="W_hq"), theta=5.0)
    check(student, sibling, device, gradients(seed=5, scale=0.1, big="rnn.b_h"), theta=2.0)


@pytest.mark.points(1)
def test_parameters_are_left_alone(student, sibling, device):
    what, _, before, after, _ = clip(student, sibling, device, gradients(seed=6), theta=1.0)
    for k in SHAPES:
        expect_close(after[k], before[k], f"the parameter {k} after {what}",
                     "clip the gradients (p.grad), not the parameters themselves (p).")
    check(student, sibling, device, gradients(seed=6), theta=1.0)


@pytest.mark.points(1)
def test_written_from_scratch(student, sibling, device):
    what, _, _, seen = check(student, sibling, device, gradients(seed=7), theta=1.0, watch=True)
    expect_not_used(seen, BANNED_NAMES, what, "compute the norm with torch.sqrt and sums of squares and scale p.grad "
                                              "yourself; torch.nn.utils.clip_grad_norm_ is what this exercise builds.")


@pytest.mark.points(1.5)
def test_zero_gradients_and_a_tiny_threshold(student, sibling, device):
    check(student, sibling, device, {k: torch.zeros(s, dtype=torch.float64) for k, s in SHAPES.items()}, theta=1.0)
    check(student, sibling, device, gradients(seed=8), theta=1e-3)
