"""The grader recipe: the checks that most exercises share, made from what makes an exercise itself.

A grader keeps its teaching content — inputs, the truth, its catalogue of mistakes, and the tests unique to
it — and takes the standard tests from a `Recipe`:

    recipe = Recipe(describe=about, verify=check_values)   # how to name a call, how to judge a result
    test_input_not_modified = recipe.unmodified(0.5, small, names=["X"], hint="...")
    test_written_from_scratch = recipe.from_scratch(1, small, BANNED, hint="...")
    test_speed_against_reference = recipe.speed(1, large, hint="...")
    test_gradient_matches_autograd = recipe.gradient(1.5, small64, truth=lambda X: torch.softmax(X, 1))
    test_result_on_the_inputs_device = recipe.on_device(1, on_meta, hint=DEVICE_HINT)

`small`, `large`, ... are functions of the device that return the call's arguments (a tuple). `verify(args,
got, call)` raises a `checks.Mistake` when `got` is wrong for `args`. Every standard test first verifies
the result it measures, so a fast, untouched-input, library-free wrong answer earns nothing.

For a class exercise, `target(student, device)` returns the object to call (e.g. `student.new(8, 2)`);
by default the student's function itself is called.
"""
from __future__ import annotations

from typing import Callable

import pytest
import torch

from .checks import (Mistake, StudentError, as_mistake, expect_close, expect_fast, expect_not_used,
                     expect_on_input_device, expect_unmodified, seeded)

Inputs = Callable[[torch.device], tuple]

DETACHED_HINT = ("build the result from the inputs with differentiable torch operations; .detach(), .data, "
                 ".item(), float() or torch.tensor(...) cut the graph.")
DEVICE_HINT = ("make every new tensor on the inputs' device (and with their dtype): torch.zeros(shape, "
               "device=X.device, dtype=X.dtype), torch.rand_like(X), torch.arange(n, device=X.device). A tensor "
               "made without device= lives on the CPU, and mixing it with GPU inputs is an error.")


def _points(points, fn):
    return pytest.mark.points(points)(fn)


class Recipe:
    def __init__(self, describe: Callable[..., str], verify: Callable, target=None, kwargs=None, seed=None,
                 error_hint: Callable | None = None):
        """`kwargs`: keyword arguments of every call; `seed`: the random state each call starts from (for
        exercises that draw random numbers, so that a grading is reproducible). `error_hint(e)`: the hint for a
        StudentError `e` that a checked call raised, which then becomes a Mistake naming the call (as_mistake);
        where it returns None, or without error_hint, the error stays as it is."""
        self.describe, self.verify = describe, verify
        self.target = target or (lambda impl, device: impl)
        self.kwargs, self.seed = kwargs or {}, seed
        self.error_hint = error_hint

    # -- one call, checked -----------------------------------------------------------------------------
    def call(self, impl, args, **run):
        """Run `impl` on `args` (the grader's own tensors are never handed over: they cross as data)."""
        return impl.run(*args, kwargs=self.kwargs, seed=self.seed, **run)

    def checked(self, impl, args, **run):
        """Call and verify: what every standard test does before it looks at anything else."""
        try:
            out = self.call(impl, args, **run)
        except StudentError as e:
            hint = self.error_hint(e) if self.error_hint else None
            if hint is None:
                raise
            as_mistake(e, self.describe(*args), hint)
        self.verify(args, out.value, self.describe(*args))
        return out

    # -- standard tests ----------------------------------------------------------------------------------
    def values(self, points, *cases: Inputs):
        """The result on each input against the truth (verify)."""
        def test(student, device):
            impl = self.target(student, device)
            for make in cases:
                self.checked(impl, make(device))
        return _points(points, test)

    def unmodified(self, points, inputs: Inputs, names, hint=""):
        """The caller's tensors are unchanged after the call. `names` names each argument (None: not checked);
        `hint` is one hint for all, or a dict of hints by name (for arguments changed by different mistakes)."""
        def test(student, device):
            args = inputs(device)
            out = self.checked(self.target(student, device), args, return_args=True)
            for name, before, after in zip(names, args, out.args):
                if name is not None and isinstance(before, torch.Tensor):
                    expect_unmodified(before, after, name, self.describe(*args),
                                      hint.get(name, "") if isinstance(hint, dict) else hint)
        return _points(points, test)

    def from_scratch(self, points, inputs: Inputs, banned, hint):
        """The library op the exercise re-implements is not called (recorded while the code runs, and found
        in its text); using it takes the exercise's whole credit (checks.BannedOp)."""
        def test(student, device):
            args = inputs(device)
            out = self.checked(self.target(student, device), args, watch=banned)
            expect_not_used(out.seen, banned, self.describe(*args), hint)
        return _points(points, test)

    def speed(self, points, inputs: Inputs, hint, threshold: float = 10, grad_enabled: bool = False):
        """Time over the reference solution's on the same input, same run, measured from the trusted side."""
        def test(student, reference, device):
            args = inputs(device)
            impl = self.target(student, device)
            self.checked(impl, args, grad_enabled=grad_enabled)
            expect_fast(impl, self.target(reference, device), *args, threshold=threshold, kwargs=self.kwargs,
                        grad_enabled=grad_enabled, call=self.describe(*args), hint=hint)
        return _points(points, test)

    def gradient(self, points, inputs: Inputs, truth: Callable, wrt=(0,), hint="", seed=9_001, names=None):
        """Gradients with respect to the arguments `wrt` against autograd of `truth(*args)` (float64 inputs
        recommended), for a random output gradient. `names` names the arguments in messages (default
        "argument 1", ...)."""
        def test(student, device):
            args = inputs(device)
            call = self.describe(*args)
            impl = self.target(student, device)
            self.checked(impl, args, requires_grad=list(wrt))
            leaves = [a.detach().clone().requires_grad_(i in wrt) if isinstance(a, torch.Tensor) else a
                      for i, a in enumerate(args)]
            expected = truth(*leaves)
            G = seeded(*expected.shape, seed=seed, dtype=expected.dtype, device=expected.device)
            expected.backward(G)
            try:
                got = impl.backward([G])
            except StudentError as e:
                raise Mistake(f"backpropagating through {call} failed: {e.type}: {e.message}",
                              hint or DETACHED_HINT) from None
            for i in wrt:
                name = f"argument {i + 1}" if names is None else names[i]
                whose = f"its {name}" if names is None else name
                if got.args[i] is None:
                    raise Mistake(f"no gradient reached {name} of {call}.", hint or DETACHED_HINT)
                expect_close(got.args[i], leaves[i].grad, f"the gradient of {call} with respect to {whose}",
                             hint or DETACHED_HINT, check_dtype=False)
        return _points(points, test)

    def on_device(self, points, meta_inputs: Inputs, real_inputs: Inputs, hint=DEVICE_HINT, shape=None):
        """New tensors are made on the inputs' device. The result on `real_inputs` is verified first (on the
        grading device; on a GPU it must come back from there). `meta_inputs(device)` gives arguments on the
        "meta" device (shapes without data), which catches a fixed device on a CPU-only machine too."""
        def test(student, device):
            real = real_inputs(device)
            got = self.checked(self.target(student, device), real).value
            sent = str(getattr(got, "sent_from", device))
            if torch.device(sent).type != device.type:
                raise Mistake(f"{self.describe(*real)} with inputs on {device.type} returned a tensor on {sent}.",
                              hint)
            args = meta_inputs(device)
            call = self.describe(*args) + " with inputs on another device"
            try:
                got = self.call(self.target(student, device), args).value
            except StudentError as e:
                got = e
            expect_on_input_device(got, call, hint, shape)
        return _points(points, test)


def standard_tests(recipe: Recipe, *, inputs: Inputs, names=None, unmodified_hint="", banned=None,
                   banned_hint="", speed_inputs: Inputs = None, speed_hint="", threshold=10, truth=None,
                   gradient_inputs: Inputs = None, wrt=(0,), gradient_hint="", meta_inputs: Inputs = None,
                   meta_shape=None, device_hint=DEVICE_HINT, points=None) -> dict:
    """The standard tests an exercise's configuration asks for, by their usual names, for
    `globals().update(standard_tests(...))`. `points` maps a test name to its weight."""
    points = {"test_input_not_modified": 0.5, "test_written_from_scratch": 1, "test_speed_against_reference": 1,
              "test_gradient_matches_autograd": 1.5, "test_result_on_the_inputs_device": 1, **(points or {})}
    tests = {}
    if names is not None:
        tests["test_input_not_modified"] = recipe.unmodified(points["test_input_not_modified"], inputs, names,
                                                             unmodified_hint)
    if banned is not None:
        tests["test_written_from_scratch"] = recipe.from_scratch(points["test_written_from_scratch"], inputs,
                                                                 banned, banned_hint)
    if speed_inputs is not None:
        tests["test_speed_against_reference"] = recipe.speed(points["test_speed_against_reference"], speed_inputs,
                                                             speed_hint, threshold)
    if truth is not None:
        tests["test_gradient_matches_autograd"] = recipe.gradient(points["test_gradient_matches_autograd"],
                                                                  gradient_inputs or inputs, truth, wrt,
                                                                  gradient_hint)
    if meta_inputs is not None:
        tests["test_result_on_the_inputs_device"] = recipe.on_device(points["test_result_on_the_inputs_device"],
                                                                     meta_inputs, inputs, device_hint, meta_shape)
    return tests

