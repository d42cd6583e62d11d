"""Grader for ch06-shared_net: `shared_net(num_hiddens=8)`, the book's nn.Sequential whose layers 2 and 4 are
one layer object (book 6.2.3).

The network is built in the sandbox (`student.new(...)` calls the function and keeps what it returns), sized by a
first call on inputs with 4 features (as the book's), converted to float64, and given known parameter values.
Checked here: the output against the book's formula, that positions 2 and 4 hold one weight and one bias (one
entry in named_parameters(), a value set through "2.weight" seen through "4.weight"), and that the tied
parameters' gradients are the sum of both uses' (autograd in float64 on this side).
"""
import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_close, first_matching_hint, seeded
from autograder.graders.common.modules import state

IN_FEATURES = 4
STRUCTURE_HINT = ("return the book's nn.Sequential(nn.LazyLinear(num_hiddens), nn.ReLU(), shared, nn.ReLU(), shared, "
                  "nn.ReLU(), nn.LazyLinear(1)), with shared = nn.LazyLinear(num_hiddens) made once.")
TIE_HINT = ("create the shared layer once (shared = nn.LazyLinear(num_hiddens)) and put that same object at "
            "positions 2 and 4; two layers made separately, or a copy (copy.deepcopy, load_state_dict), have equal "
            "values at best, not the same parameters.")
PARAMS = ("0.weight", "0.bias", "2.weight", "2.bias", "6.weight", "6.bias")


def build(student, device, num_hiddens, dtype=torch.float64, seed=0):
    """The student's network, sized by a first call, in `dtype`, with known values in its (tied) parameters."""
    call = f"shared_net({num_hiddens})"
    try:
        net = student.new(num_hiddens, seed=0)
    except StudentError as e:
        as_mistake(e, call, "shared_net takes num_hiddens and returns the network." if e.type == "TypeError" else "")
    X = seeded(2, IN_FEATURES, seed=seed, device=device, uniform=True)
    try:
        net(X)   # the book's first call fixes the lazy layers' input sizes
    except StudentError as e:
        as_mistake(e, f"{call}(X) for X of shape {tuple(X.shape)} (the book's inputs have 4 features)", STRUCTURE_HINT)
    if dtype == torch.float64:
        try:
            net.method("double")
        except StudentError as e:
            as_mistake(e, f"{call}.double()", STRUCTURE_HINT)
    found = state(net, call, STRUCTURE_HINT)
    shapes = {"0.weight": (num_hiddens, IN_FEATURES), "0.bias": (num_hiddens,), "2.weight": (num_hiddens, num_hiddens),
              "2.bias": (num_hiddens,), "4.weight": (num_hiddens, num_hiddens), "4.bias": (num_hiddens,),
              "6.weight": (1, num_hiddens), "6.bias": (1,)}
    for name, shape in shapes.items():
        if name not in found:
            raise Mistake(f"{call}.state_dict() has no {name} (it has: {', '.join(sorted(found)) or 'nothing'}).",
                          STRUCTURE_HINT)
        if tuple(found[name].shape) != shape:
            hint = (f"use num_hiddens ({num_hiddens}) for the hidden layers instead of a fixed size."
                    if num_hiddens != 8 and tuple(found[name].shape) in ((8, IN_FEATURES), (8, 8), (8,), (1, 8))
                    else STRUCTURE_HINT)
            raise Mistake(f"in {call}, {name} has shape {tuple(found[name].shape)}, expected {shape}.", hint)
    values = {name: seeded(*shapes[name], seed=seed + 1 + i, dtype=dtype, device=device, scale=0.6, shift=0.05)
              for i, name in enumerate(PARAMS)}
    # position 4 gets position 2's values too: a network that does not tie them still computes the book's
    # function here, and loses points only in the tests about tying
    for name, value in [*values.items(), ("4.weight", values["2.weight"]), ("4.bias", values["2.bias"])]:
        try:
            net.set(name, value)
        except StudentError as e:
            as_mistake(e, f"setting {call}'s {name}", STRUCTURE_HINT)
    return net, values


def book_forward(X, p, tied=True, W4=None, b4=None):
    """The book's network on X with parameters p (the layer at position 4 uses p["2.*"] when tied)."""
    W4 = p["2.weight"] if W4 is None else W4
    b4 = p["2.bias"] if b4 is None else b4
    h = torch.relu(X @ p["0.weight"].T + p["0.bias"])
    h = torch.relu(h @ p["2.weight"].T + p["2.bias"])
    h = torch.relu(h @ W4.T + b4)
    return h @ p["6.weight"].T + p["6.bias"]


def diagnose(X, p, got) -> str:
    def without_middle_relu():
        h = torch.relu(X @ p["0.weight"].T + p["0.bias"])
        h = h @ p["2.weight"].T + p["2.bias"]
        h = torch.relu(h @ p["2.weight"].T + p["2.bias"])
        return h @ p["6.weight"].T + p["6.bias"]

    def shared_once():
        h = torch.relu(X @ p["0.weight"].T + p["0.bias"])
        h = torch.relu(h @ p["2.weight"].T + p["2.bias"])
        return h @ p["6.weight"].T + p["6.bias"]

    def no_last_relu():
        h = torch.relu(X @ p["0.weight"].T + p["0.bias"])
        h = torch.relu(h @ p["2.weight"].T + p["2.bias"])
        h = h @ p["2.weight"].T + p["2.bias"]
        return h @ p["6.weight"].T + p["6.bias"]

    return first_matching_hint(got, {
        "put a ReLU between the two uses of the shared layer (positions 3 and 5 are nn.ReLU()).": without_middle_relu,
        "apply the ReLU after the second use of the shared layer too (position 5).": no_last_relu,
        "use the shared layer twice, at positions 2 and 4.": shared_once,
    }, default=STRUCTURE_HINT)


def X_for(device, seed, n=3):
    return seeded(n, IN_FEATURES, seed=seed, dtype=torch.float64, device=device, uniform=True)


def check_output(student, device, num_hiddens, seed, dtype=torch.float64):
    net, p = build(student, device, num_hiddens, dtype=dtype, seed=seed)
    X = X_for(device, seed + 10).to(dtype)
    call = f"shared_net({num_hiddens})(X) for X of shape {tuple(X.shape)}, parameters set to known values"
    try:
        got = net(X)
    except StudentError as e:
        as_mistake(e, call, STRUCTURE_HINT)
    expect_close(got, book_forward(X.double(), {k: v.double() for k, v in p.items()}).to(dtype), call,
                 lambda: diagnose(X.double(), {k: v.double() for k, v in p.items()}, got))


@pytest.mark.points(3)
def test_output_is_the_books_network(student, device):
    check_output(student, device, 8, 0)


@pytest.mark.points(1.5)
def test_num_hiddens_is_used(student, device):
    for num_hiddens in (16, 5):
        check_output(student, device, num_hiddens, 80 + num_hiddens, dtype=torch.float32)


@pytest.mark.points(3)
def test_positions_2_and_4_hold_one_weight_and_one_bias(student, device):
    net, p = build(student, device, 8, seed=40)
    call = "shared_net(8)"
    names = net.parameter_names()
    extra = [n for n in ("4.weight", "4.bias") if n in names]
    if extra:
        which = ("the weight and the bias at position 4 are parameters of their own" if len(extra) == 2 else
                 f"the {extra[0][2:]} at position 4 is a parameter of its own")
        raise Mistake(f"{call}.named_parameters() lists {', '.join(extra)} besides 2.weight and 2.bias: {which}, not "
                      f"{'the ones' if len(extra) == 2 else 'the one'} at position 2.", TIE_HINT)
    if sorted(names) != sorted(PARAMS):
        raise Mistake(f"{call}.named_parameters() lists {names}; expected {list(PARAMS)}.", STRUCTURE_HINT)
    for name, seed in (("2.weight", 41), ("2.bias", 42)):
        value = seeded(*p[name].shape, seed=seed, dtype=torch.float64, device=device, scale=3.0)
        net.set(name, value)
        other = "4" + name[1:]
        seen = state(net, call)[other]
        if not torch.equal(seen.to(value.device), value):
            raise Mistake(f"after setting {call}'s {name} to new values, {other} still holds the old ones: the two "
                          "positions have separate tensors.", TIE_HINT)


@pytest.mark.points(2.5)
def test_tied_gradients_add_up(student, device):
    net, p = build(student, device, 8, seed=60)
    X = X_for(device, 70, n=5)
    call = f"shared_net(8)(X) for X of shape {tuple(X.shape)}"
    try:
        out = net.run(X, requires_grad=[0]).value
    except StudentError as e:
        as_mistake(e, call, STRUCTURE_HINT)
    expect_close(out, book_forward(X, p), call, lambda: diagnose(X, p, out))
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in p.items()}
    W4, b4 = p["2.weight"].clone().requires_grad_(True), p["2.bias"].clone().requires_grad_(True)
    G = seeded(5, 1, seed=71, dtype=torch.float64, device=device)
    book_forward(X, leaves, W4=W4, b4=b4).backward(G)   # the two uses as separate leaves: their gradients
    try:
        grads = net.backward([G]).params
    except StudentError as e:
        raise Mistake(f"backpropagating through {call} failed: {e.type}: {e.message}", STRUCTURE_HINT) from None
    for name, second in (("2.weight", W4), ("2.bias", b4)):
        got = grads.get(name)
        if got is None:
            raise Mistake(f"no gradient reached {name} through {call}.",
                          "build the network from layers (nn.LazyLinear, nn.ReLU) without detaching anything.")
        total, first = leaves[name].grad + second.grad, leaves[name].grad
        hint = TIE_HINT if torch.allclose(got, first, rtol=1e-6, atol=1e-9) else \
            "the gradient of a tied parameter is the sum of the gradients of its two uses."
        expect_close(got, total, f"the gradient of the tied {name} ({call}), the sum of its two uses' gradients",
                     ("it equals the first use's gradient alone: " + hint) if hint == TIE_HINT else hint)
    for name in ("0.weight", "6.weight"):
        got = grads.get(name)
        if got is None:
            raise Mistake(f"no gradient reached {name} through {call}.", STRUCTURE_HINT)
        expect_close(got, leaves[name].grad, f"the gradient of {name} ({call})", STRUCTURE_HINT)
