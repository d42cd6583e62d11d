"""Grader for ch03-SGD: the book's minibatch SGD (3.4.3), `step()` (param -= lr * param.grad, in place, under
no_grad) and `zero_grad()`.

Parameters must be leaf tensors that require grad, living where the student's optimizer lives, which the
protocol (plain data only) cannot send. So the optimizer is built as `SGD([], lr)` and the grader appends its
parameters to `opt.params` (the given `__init__` keeps the list there) as leaves made in the student's process
(`bound("params.append")` with requires_grad); a parameter's gradient is set by backpropagating a chosen G from
the parameter itself (`bound("params.__getitem__")`, then backward), so `.grad` becomes G exactly as after a
real `loss.backward()`, and accumulates the same way. The truth is p - lr * G, computed here.
"""
import pytest
import torch

from autograder.checks import (Mistake, StudentError, as_mistake, expect_close, expect_not_used, first_matching_hint,
                               seeded)
from autograder.graders.common.models import build

F64 = torch.float64
LR = 0.1
BANNED = {"functions": ["optim", "SGD"], "aten": []}
INIT_HINT = ("keep the given __init__: self.save_hyperparameters() stores the list of parameters as self.params "
             "and the learning rate as self.lr.")
STEP_HINT = "for every parameter: param -= self.lr * param.grad, inside with torch.no_grad()."
NO_GRAD_HINT = ("wrap the update in `with torch.no_grad():`. PyTorch refuses an in-place change of a leaf tensor "
                "that requires grad while autograd records; the book's trainer calls step() inside no_grad, but an "
                "optimizer should not rely on its caller (torch.optim.SGD.step does not).")
ZERO_HINT = ("backward() adds to .grad, so zero_grad must clear every parameter's gradient: in place "
             "(param.grad.zero_()), or set it to None, or to torch.zeros_like(param) (a new gradient must have the "
             "parameter's dtype and device); skip parameters whose .grad is still None.")

REPLACED_HINT = ("a parameter in self.params has no gradient: it is no longer the leaf tensor that backward() "
                 "fills. Update each parameter in place (param -= self.lr * param.grad, under torch.no_grad()); "
                 "do not replace the tensors in self.params by new ones.")
ZEROED_PARAMS = "zero_grad zeroed the parameters themselves; it should zero their gradients (param.grad.zero_())."


class Opt:
    """The student's optimizer over parameters made in its own process, and the grader's copy of the truth."""

    def __init__(self, student, params, lr=LR):
        self.inst = build(student, f"SGD(params, lr={lr})", [], lr, hint="the constructor is SGD(params, lr).")
        self.lr, self.truth = lr, [p.clone() for p in params]
        self.grads = [None] * len(params)
        for p in params:
            try:
                self.inst.bound("params.append").run(p, requires_grad=[0])
            except StudentError as e:
                if e.type == "NotImplementedError":
                    raise
                raise Mistake(f"the optimizer keeps no list self.params ({e.type}: {e.message}).", INIT_HINT) from None
        self.shapes = ", ".join(str(tuple(p.shape)) for p in params)

    def describe(self):
        dtypes = {str(p.dtype)[6:] for p in self.truth}
        return (f"SGD over {len(self.truth)} parameters of shapes {self.shapes} ({', '.join(sorted(dtypes))}), "
                f"lr={self.lr}")

    def backward(self, grads):
        """As loss.backward() would: each parameter's .grad += G (or = G when it was None or zeroed)."""
        for i, G in enumerate(grads):
            try:
                self.inst.bound("params.__getitem__").run(i)
                self.inst.backward([G])
            except StudentError as e:
                raise Mistake(f"after the calls above, parameter {i} of {self.describe()} is no longer a leaf tensor "
                              f"that requires grad ({e.message}).",
                              "update each parameter in place (param -= ..., param.sub_(...)) under torch.no_grad(); "
                              "do not replace the tensors in self.params by new ones.") from None
            self.grads[i] = G.clone() if self.grads[i] is None else self.grads[i] + G

    def call(self, method, what, hint, grad_enabled=False):
        try:
            self.inst.bound(method).run(grad_enabled=grad_enabled)
        except StudentError as e:
            as_mistake(e, f"{what}, for {self.describe()}", REPLACED_HINT if "NoneType" in e.message else hint)

    def step(self, what="step()", grad_enabled=False):
        self.call("step", what, NO_GRAD_HINT if grad_enabled else STEP_HINT, grad_enabled)
        self.truth = [p - self.lr * g for p, g in zip(self.truth, self.grads)]

    def zero_grad(self, what="zero_grad()"):
        self.call("zero_grad", what, ZERO_HINT, grad_enabled=True)
        self.grads = [None if g is None else torch.zeros_like(g) for g in self.grads]

    def params(self):
        return [self.inst.bound("params.__getitem__").run(i).value for i in range(len(self.truth))]

    def expect(self, after, diagnose):
        for i, (got, want) in enumerate(zip(self.params(), self.truth)):
            expect_close(got, want, f"parameter {i} (shape {tuple(want.shape)}) after {after}, for {self.describe()}",
                         lambda: diagnose(i, got))


def parameters(*shapes, seed, dtype=torch.float32, device="cpu"):
    return [seeded(*s, seed=seed + k, dtype=dtype, device=device) for k, s in enumerate(shapes)]


def gradients(params, seed):
    return [seeded(*p.shape, seed=seed + 50 + k, dtype=p.dtype, device=p.device, scale=2.0)
            for k, p in enumerate(params)]


def step_diagnosis(P, G, lr):
    """The hint for parameter i after one step from P with gradients G."""
    def diagnose(i, got):
        p, g = P[i].to(F64), G[i].to(F64)
        if i > 0 and torch.equal(got.to(F64), p):
            return ("this parameter did not change, though an earlier one did: update every parameter of "
                    "self.params (a return inside the loop?).")
        return first_matching_hint(got, {
            "the parameter did not change: `param = param - lr * grad` only rebinds a local name. Update the "
            "tensor itself, in place: param -= self.lr * param.grad (under torch.no_grad()).": lambda: p,
            "the parameter moved up the gradient: subtract, param -= self.lr * param.grad.": lambda: p + lr * g,
            "the learning rate is missing: param -= self.lr * param.grad.": lambda: p - g,
            "the learning rate divides instead of multiplying: param -= self.lr * param.grad.": lambda: p - g / lr,
            ZEROED_PARAMS: lambda: -lr * g,
        }, default=STEP_HINT)
    return diagnose


@pytest.mark.points(3)
def test_step_updates_every_parameter(student, device):
    P = parameters((3, 1), (1,), (2, 4), seed=0, device=device)
    G = gradients(P, seed=0)
    opt = Opt(student, P)
    opt.backward(G)
    opt.step("step() (called inside torch.no_grad(), as the book's trainer does)")
    opt.expect("one step", step_diagnosis(P, G, LR))


@pytest.mark.points(0.5)
def test_float64_parameters(student, device):
    P = parameters((4, 1), (1,), seed=10, dtype=F64, device=device)
    G = gradients(P, seed=10)
    opt = Opt(student, P, lr=0.03)
    opt.backward(G)
    opt.step("step() (inside torch.no_grad())")
    opt.expect("one step", step_diagnosis(P, G, 0.03))


@pytest.mark.points(1.5)
def test_step_works_with_autograd_on(student, device):
    P = parameters((3, 1), (1,), seed=20, device=device)
    G = gradients(P, seed=20)
    opt = Opt(student, P)
    opt.backward(G)
    opt.step("step() called with autograd on (not inside torch.no_grad())", grad_enabled=True)
    opt.expect("one step with autograd on", step_diagnosis(P, G, LR))
    # the updated parameters are still leaves that take the next gradient, and the next step uses it
    G2 = gradients(P, seed=25)
    opt.zero_grad()
    opt.backward(G2)
    opt.step("a second step()", grad_enabled=True)
    opt.expect("zero_grad() and a second step with autograd on", zero_diagnosis(P, G, G2))


def zero_diagnosis(P, G1, G2):
    def diagnose(i, got):
        p, g1, g2 = P[i].to(F64), G1[i].to(F64), G2[i].to(F64)
        return first_matching_hint(got, {
            "the old gradient was still there: " + ZERO_HINT: lambda: p - LR * g1 - LR * (g1 + g2),
            ZEROED_PARAMS: lambda: -LR * g2,
            ZEROED_PARAMS + " The old gradient was still there too.": lambda: -LR * (g1 + g2),
        }, default=ZERO_HINT if i == 0 else "zero the gradient of every parameter, not only the first (a return "
                                            "inside the loop?). " + ZERO_HINT)
    return diagnose


@pytest.mark.points(2)
def test_zero_grad_then_a_new_gradient(student, device):
    P = parameters((3, 1), (1,), seed=30, device=device) + parameters((2, 2), seed=33, dtype=F64, device=device)
    G1, G2 = gradients(P, seed=30), gradients(P, seed=40)
    opt = Opt(student, P)
    opt.backward(G1)
    opt.step()
    opt.zero_grad("zero_grad() after a step")
    opt.backward(G2)
    opt.step("step() after zero_grad() and a new backward")
    opt.expect("step, zero_grad, a new backward and a second step", zero_diagnosis(P, G1, G2))


@pytest.mark.points(1)
def test_zero_grad_before_any_backward(student, device):
    P = parameters((2, 1), (1,), seed=50, device=device)
    G = gradients(P, seed=50)
    opt = Opt(student, P)
    opt.zero_grad("zero_grad() before any backward (every .grad is still None, as in the first training step)")
    opt.backward(G)
    opt.step()
    opt.expect("zero_grad(), backward and a step", step_diagnosis(P, G, LR))


@pytest.mark.points(1)
def test_two_steps_without_zero_grad(student, device):
    P = parameters((3, 1), (1,), seed=60, device=device)
    G = gradients(P, seed=60)
    opt = Opt(student, P)
    opt.backward(G)
    opt.step()
    opt.step("a second step() with the same gradients")

    def diagnose(i, got):
        p, g = P[i].to(F64), G[i].to(F64)
        return first_matching_hint(got, {
            "the parameter did not change: `param = param - lr * grad` only rebinds a local name. Update the tensor "
            "itself, in place: param -= self.lr * param.grad (under torch.no_grad()).": lambda: p,
            "the second step did not move the parameter: step() cleared the gradients. Leave .grad as it is; "
            "clearing it is zero_grad's job.": lambda: p - LR * g,
        }, default="step() must leave the gradients as they are (do not scale param.grad in place): two steps "
                   "with the same gradient move a parameter by 2 * lr * grad.")
    opt.expect("two steps without zero_grad", diagnose)


@pytest.mark.points(1)
def test_written_from_scratch(student, device):
    P = parameters((3, 1), (1,), seed=70, device=device)
    G = gradients(P, seed=70)
    opt = Opt(student, P)
    opt.backward(G)
    try:
        out = opt.inst.bound("step").run(grad_enabled=False, watch=BANNED)
    except StudentError as e:
        as_mistake(e, f"step(), for {opt.describe()}", STEP_HINT)
    opt.truth = [p - LR * g for p, g in zip(opt.truth, opt.grads)]
    opt.expect("one step", step_diagnosis(P, G, LR))
    expect_not_used(out.seen, BANNED, "SGD.step",
                    "update the parameters yourself (param -= self.lr * param.grad); torch.optim.SGD is what this "
                    "exercise builds.")
