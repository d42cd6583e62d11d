"""What the ch06 initializer graders share (init_normal, init_xavier, my_init; book 6.3).

An initializer is a function of one module that changes parameters in place; it cannot be handed to the grading
sandbox, and neither can a network. The lesson gives `init_probe(name, like)`: in the sandbox, a fresh
`probe_net()` on `like`'s device and dtype, `net.apply(<the function of that name>)`, and copies of the
state_dict before and after (plus the library Xavier functions that ran). The graders here read those tensors
and judge them by their statistics, with bounds of six standard errors for the sizes used, so that a correct
initializer fails with a probability below one in a hundred million, whatever its random numbers.

An exercise module calls `make_tests(...)` with its own check of one weight tensor, what its biases must be, and
(for init_xavier) the library functions it must not call, and binds the returned tests.
"""
from __future__ import annotations

import math

import pytest
import torch

from autograder.checks import Mistake, StudentError, as_mistake, expect_not_used

# the lesson's probe_net(): the nn.Linear layers by state_dict prefix, with (out_features, in_features)
LINEAR = {"0": (400, 200), "3.0": (100, 400), "4": (100, 100), "5": (100, 100)}
OTHERS = ("2.weight", "2.bias")   # the LayerNorm: not an nn.Linear, must stay as it was
APPLY_HINT = ("net.apply(init) calls init on every module of the network, nn.ReLU, nn.LayerNorm and the "
              "nn.Sequential containers included: act only when type(module) == nn.Linear (or isinstance(module, "
              "nn.Linear)), and do nothing otherwise.")
DEVICE_HINT = ("change the parameters in place (nn.init.*_ functions, or tensor methods such as w.uniform_(...) "
               "under torch.no_grad()); a new tensor assigned to w.data must be made on the parameter's device and "
               "with its dtype (torch.rand_like(w), torch.zeros_like(w)).")
SEED_HINT = "draw new random numbers for every layer: do not call torch.manual_seed (or fix a generator) inside."
SIX = 6.0   # standard errors allowed


def about(name, key=None, dtype=None):
    what = f"net.apply({name}) on the lesson's probe_net()"
    if dtype is not None and dtype != torch.float32:
        what += f" in {str(dtype)[6:]}"
    if key is None:
        return what
    prefix = key.rsplit(".", 1)[0]
    out_f, in_f = LINEAR[prefix]
    return f"{key} (of nn.Linear({in_f}, {out_f})) after {what}"


def probe(sibling, student, name, device, dtype=torch.float32, seed=1, meta=False, watch=None):
    """What init_probe reports for the student's function `name`: {"before", "after", "library_xavier"}, and
    the names of banned functions seen (the worker's record and the source text)."""
    like = torch.empty(0, dtype=dtype, device="meta" if meta else device)
    try:
        out = sibling("init_probe").run(name, like, seed=seed, watch=watch)
    except StudentError as e:
        message = e.message.lower()
        hint = (APPLY_HINT if e.type == "AttributeError" or "has no attribute" in message else
                DEVICE_HINT if "incompatible tensor type" in message or (
                    meta and ("meta" in message or "device" in message)) else
                "change the parameters in place under torch.no_grad() (or through .data, as the book does)."
                if "leaf variable" in message else "")
        as_mistake(e, about(name, dtype=dtype) + (" on the \"meta\" device" if meta else ""), hint)
    value = out.value
    if not isinstance(value, dict) or "after" not in value:
        raise Mistake(f"init_probe did not report on {about(name)}: did a cell of yours redefine it?",
                      "keep the lesson's given cells as they are.")
    return value, sorted(set(out.seen) | set(value.get("library_xavier", [])))


def unchanged(before, after) -> bool:
    return before.shape == after.shape and torch.equal(before.to(after.device), after)


def expect_weights_changed(report, name):
    """The other tests count only for an initializer that initializes: one that does nothing leaves every bias and
    every other module as it was, and gives every layer its own (default) draw."""
    for prefix in LINEAR:
        key = prefix + ".weight"
        if unchanged(report["before"][key], report["after"][key]):
            raise Mistake(f"{about(name)} left {key} as PyTorch initialized it: the weights of the nn.Linear layers "
                          "should be drawn anew (this test counts only for an initializer that does that).",
                          "act when type(module) == nn.Linear (the class itself, not an instance or its name), and "
                          "change module.weight in place.")


def make_tests(name: str, check_weight, bias: str, banned=None, points=None) -> dict:
    """The tests of one initializer. `check_weight(W, fan_in, fan_out, call, before)` raises a Mistake when W is
    not what the initializer should draw; `bias` is "zeros" or "unchanged"; `banned` lists library functions
    (names as the source text and init_probe report them) that the exercise must not call."""
    points = {"weights": 4, "biases": 2, "others": 1.5, "draws": 1, "dtype_device": 1.5, "scratch": 0,
              **(points or {})}
    tests = {}

    def weights(sibling, student, device):
        report, _ = probe(sibling, student, name, device, seed=1)
        for prefix, (out_f, in_f) in LINEAR.items():
            key = prefix + ".weight"
            check_weight(report["after"][key], in_f, out_f, about(name, key), report["before"][key])
    tests["test_weight_statistics"] = pytest.mark.points(points["weights"])(weights)

    def biases(sibling, student, device):
        report, _ = probe(sibling, student, name, device, seed=2)
        expect_weights_changed(report, name)
        for prefix in LINEAR:
            key = prefix + ".bias"
            before, after = report["before"][key], report["after"][key]
            call = about(name, key)
            if bias == "zeros":
                if after.shape != before.shape or bool((after != 0).any()):
                    hint = ("the bias was left as it was: set it to zeros (nn.init.zeros_(module.bias))."
                            if unchanged(before, after) else "set every nn.Linear bias to 0 with nn.init.zeros_(module.bias); "
                            "the weights alone get the random values.")
                    raise Mistake(f"{call} holds nonzero values ({int((after != 0).sum())} of {after.numel()}); "
                                  "the biases should all be 0.", hint)
            elif not unchanged(before, after):
                raise Mistake(f"{call} changed; {name} initializes the weights only, the biases stay as they were "
                              "(as in the book).", "change module.weight only, not module.bias (nor "
                              "module.parameters(), which holds both).")
    tests["test_biases"] = pytest.mark.points(points["biases"])(biases)

    def others(sibling, student, device):
        report, _ = probe(sibling, student, name, device, seed=3)
        expect_weights_changed(report, name)
        for key in OTHERS:
            if not unchanged(report["before"][key], report["after"][key]):
                raise Mistake(f"{about(name)} changed {key}, a parameter of the network's nn.LayerNorm (module 2); "
                              f"{name} is for the nn.Linear layers only.", APPLY_HINT)
    tests["test_only_linear_layers_change"] = pytest.mark.points(points["others"])(others)

    def draws(sibling, student, device):
        first, _ = probe(sibling, student, name, device, seed=4)
        second, _ = probe(sibling, student, name, device, seed=5)
        expect_weights_changed(first, name)
        a, b = first["after"], second["after"]
        if torch.equal(a["4.weight"], a["5.weight"]):
            raise Mistake(f"after {about(name)}, layers 4 and 5 (both nn.Linear(100, 100)) hold the very same "
                          "weights.", SEED_HINT)
        if torch.equal(a["0.weight"], b["0.weight"]):
            raise Mistake(f"{about(name)} gave the same weights twice, from two different random states.", SEED_HINT)
    tests["test_each_layer_gets_its_own_draw"] = pytest.mark.points(points["draws"])(draws)

    def dtype_device(sibling, student, device):
        report, _ = probe(sibling, student, name, device, dtype=torch.float64, seed=6)
        for prefix, (out_f, in_f) in LINEAR.items():
            key = prefix + ".weight"
            W = report["after"][key]
            call = about(name, key, torch.float64)
            if W.dtype != torch.float64:
                raise Mistake(f"{call} came back as {str(W.dtype)[6:]}; it should keep the network's dtype.",
                              DEVICE_HINT)
            check_weight(W, in_f, out_f, call, report["before"][key])
        report, _ = probe(sibling, student, name, device, seed=7, meta=True)
        for key, t in report["after"].items():
            where = str(getattr(t, "sent_from", t.device))
            if torch.device(where).type != "meta":
                raise Mistake(f"after {about(name)} on the \"meta\" device (a network that is not on the CPU), {key} "
                              f"is on {where}: the initializer made it there instead of changing the network's own "
                              "tensor.", DEVICE_HINT)
    tests["test_keeps_dtype_and_device"] = pytest.mark.points(points["dtype_device"])(dtype_device)

    if banned:
        def scratch(sibling, student, device):
            report, seen = probe(sibling, student, name, device, seed=8, watch={"functions": list(banned), "aten": []})
            for prefix, (out_f, in_f) in LINEAR.items():
                key = prefix + ".weight"
                check_weight(report["after"][key], in_f, out_f, about(name, key), report["before"][key])
            expect_not_used(seen, list(banned), about(name),
                            "compute the bound a = sqrt(6 / (fan_in + fan_out)) yourself and draw with "
                            "nn.init.uniform_(module.weight, -a, a); nn.init.xavier_uniform_ and xavier_normal_ "
                            "are what this exercise writes.")
        tests["test_written_from_scratch"] = pytest.mark.points(points["scratch"])(scratch)
    return tests


# -- statistics -------------------------------------------------------------------------------------------------

def describe(W) -> str:
    w = W.double().flatten()
    return (f"values from {w.min().item():.4g} to {w.max().item():.4g}, mean {w.mean().item():.4g}, standard "
            f"deviation {w.std().item():.4g}")


def expect_within(value, target, bound, what, call, W, hint):
    if not abs(value - target) <= bound:
        raise Mistake(f"{call}: {what} is {value:.4g}, expected {target:.4g} +- {bound:.2g} ({describe(W)}).", hint)


def fraction(mask) -> float:
    return mask.double().mean().item()


def binomial_bound(p, n) -> float:
    return SIX * math.sqrt(p * (1 - p) / n) + 1 / n


def expect_normal(W, mean, std, call, hint):
    """W's entries look like draws from N(mean, std^2): mean, standard deviation and the share within one std."""
    w = W.double().flatten()
    n = w.numel()
    expect_within(w.mean().item(), mean, SIX * std / math.sqrt(n), "the mean", call, W, hint)
    expect_within(w.std().item(), std, SIX * std / math.sqrt(2 * n), "the standard deviation", call, W, hint)
    p = math.erf(1 / math.sqrt(2))   # 0.6827: the share of a Gaussian within one standard deviation of its mean
    expect_within(fraction((w - mean).abs() < std), p, binomial_bound(p, n),
                  "the share of weights within one standard deviation of the mean", call, W, hint)


def expect_uniform(w, lo, hi, call, W, hint, what="the weights"):
    """The entries of w (flat, float64) look like draws from U(lo, hi): range, mean, spread, and halves."""
    n = w.numel()
    span = hi - lo
    tol = 1e-6 * max(abs(lo), abs(hi))
    if w.min().item() < lo - tol or w.max().item() > hi + tol:
        raise Mistake(f"{call}: {what} should lie in [{lo:.4g}, {hi:.4g}] ({describe(W)}).", hint)
    reach = SIX * span / n * 4   # a sample of n uniform values comes this close to each end but for ~e^-24
    if w.min().item() > lo + reach or w.max().item() < hi - reach:
        raise Mistake(f"{call}: {what} should fill [{lo:.4g}, {hi:.4g}], they only reach "
                      f"[{w.min().item():.4g}, {w.max().item():.4g}] ({describe(W)}).", hint)
    expect_within(w.mean().item(), (lo + hi) / 2, SIX * span / math.sqrt(12 * n), f"the mean of {what}", call, W, hint)
    expect_within(w.std().item(), span / math.sqrt(12), SIX * 0.5 * span / math.sqrt(12 * n),
                  f"the standard deviation of {what}", call, W, hint)
    for q in (0.25, 0.5):
        expect_within(fraction(w < lo + q * span), q, binomial_bound(q, n),
                      f"the share of {what} below {lo + q * span:.4g}", call, W, hint)
