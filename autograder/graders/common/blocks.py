"""What ch08's block graders share (VGG, NiN, Inception, ResNet and DenseNet blocks, book 8.2-8.7).

A block is graded by what defines it, never by the names a student gives its layers:

- `build` makes the student's block (`student.new(...)`: a function such as `vgg_block` returns an
  `nn.Sequential`, a class such as `Residual` is instantiated), and `materialize` runs it once so that its lazy
  layers (`nn.LazyConv2d`, `nn.LazyBatchNorm2d`) get their shapes;
- `layers_of` reads its `state_dict` as layers (a conv, a batch norm, ...) with the shapes of their tensors, in
  the order the student registered them;
- `Matched` finds which of the student's layers is which of the reference's: layers must agree in kind and
  shapes, and where several have the same shapes (the two 1x1 convs of a NiN block, the two batch norms of a
  residual block) every pairing is tried, registration order first, and the one whose output equals the
  reference's is kept. So any attribute names, any registration order and any container (attributes,
  `nn.Sequential`, `nn.ModuleList`) grade alike; the layers, their order in the computation and their wiring
  are what count;
- the reference blocks at the end are built from torch's own layers, with explicit input channels, in float64,
  with switches that make the known mistakes (to name them in a hint). The student's block is converted to
  float64 as well (`.double()`) for the value checks, so that TF32 or cuDNN's choice of algorithm cannot blur a
  comparison.
"""
from __future__ import annotations

import copy
import itertools
import math
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, first_matching_hint,
                               seeded)

BUFFERS = ("running_mean", "running_var", "num_batches_tracked")
RTOL, ATOL = 1e-6, 1e-8   # float64 on both sides: only the order of the sums may differ
MAX_PAIRINGS = 48         # pairings of same-shaped layers tried before giving up (a handful in practice)

LAZY_HINT = ("build the layers in the constructor (or the function), not in forward; use nn.LazyConv2d / "
             "nn.LazyBatchNorm2d, which learn their input channels from the first batch, as the book does.")
MODULE_HINT = "return the layers as one nn.Module: nn.Sequential(*layers), as the book does."
SHARED_HINT = ("two of your layers are one and the same module object (e.g. [nn.LazyConv2d(...), nn.ReLU()] * n, "
               "or appending the same layer twice): each layer needs its own parameters, so create a new one each "
               "time in the loop.")
DETACHED_HINT = ("return the result of the layers' computation itself: .detach(), .data, torch.no_grad() or "
                 "torch.tensor(...) inside forward cut the gradient off.")
INPLACE_HINT = ("use out-of-place operations on X (Y = Y + X, F.relu(X)); X += ..., X.relu_() or "
                "nn.ReLU(inplace=True) applied to X itself change the caller's tensor.")


# -- the student's block -----------------------------------------------------------------------------------

def build(student, call: str, *args, **kwargs):
    """The student's block, made with the random state of seed 0."""
    try:
        return student.new(*args, seed=0, **kwargs)
    except StudentError as e:
        as_mistake(e, f"building {call}",
                   "keep the book's signature and argument order." if e.type == "TypeError" else "")


def run(inst, X, call: str, hint="", **kw):
    """inst.run(X, **kw), a StudentError made a Mistake that names the call. `hint` may be a function of the
    error's message."""
    try:
        return inst.run(X, **kw)
    except StudentError as e:
        if e.type == "TypeError" and "not callable" in e.message:
            hint = MODULE_HINT
        elif callable(hint):
            hint = hint(e.message)
        as_mistake(e, call, hint)


def channel_error_hint(message: str) -> str:
    """When a lazy layer meets a different number of channels than it was made for: it is used twice."""
    if "channels, but got" in message or "to have" in message and "channels" in message:
        return SHARED_HINT
    return ""


def materialize(inst, X, call: str, hint: str = ""):
    """One forward pass in evaluation mode without autograd (no batch statistic is recorded), so that every lazy
    layer gets its shape; the block is left in training mode."""
    try:
        inst.eval()
    except StudentError as e:
        as_mistake(e, f"{call}.eval()", MODULE_HINT)
    out = run(inst, X, f"{call} on X of shape {tuple(X.shape)}", hint, grad_enabled=False)
    inst.train()
    return out.value


def state_of(inst, call: str) -> dict:
    try:
        return inst.state()
    except StudentError as e:
        as_mistake(e, f"reading the parameters of {call}", LAZY_HINT)


# -- layers, as a state_dict shows them -----------------------------------------------------------------------

@dataclass
class Layer:
    prefix: str      # where it sits in the block: "0", "conv1", "net.2.0", ...
    tensors: dict    # name -> shape: weight, bias, running_mean, running_var (num_batches_tracked left out)

    @property
    def kind(self) -> str:
        w = self.tensors.get("weight")
        if "running_mean" in self.tensors or "running_var" in self.tensors:
            return "batch norm"
        if w is not None and len(w) == 4:
            return "conv"
        if w is not None and len(w) == 2:
            return "linear"
        if w is not None and len(w) == 1:
            return "norm without running statistics"
        return "layer"

    @property
    def signature(self):
        return self.kind, tuple(sorted(self.tensors.items()))

    def __str__(self):
        w = self.tensors.get("weight")
        if self.kind == "conv":
            o, i, kh, kw = w
            return f"{kh}x{kw} conv {i}->{o}" + ("" if "bias" in self.tensors else " (no bias)")
        if self.kind == "batch norm":
            c = (w or self.tensors["running_mean"])[0]
            return f"batch norm({c})" + ("" if w else " (affine=False)")
        if self.kind == "norm without running statistics":
            return f"batch norm({w[0]}) without running statistics (track_running_stats=False)"
        shapes = ", ".join(f"{n} {tuple(s)}" for n, s in self.tensors.items())
        return f"{self.kind} [{shapes}]"


def layers_of(state: dict) -> list[Layer]:
    """The layers of a state_dict, in registration order."""
    found: dict[str, dict] = {}
    for k, value in state.items():
        prefix, _, name = k.rpartition(".")
        if name == "num_batches_tracked":
            continue
        found.setdefault(prefix, {})[name] = tuple(value.shape)
    return [Layer(p, t) for p, t in found.items()]


def key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parameter_count(state: dict) -> int:
    return sum(v.numel() for k, v in state.items() if k.rpartition(".")[2] not in BUFFERS)


def listing(layers) -> str:
    return ", ".join(str(layer) for layer in layers) or "none"


def _once(layers):
    seen, out = set(), []
    for l in layers:
        if l.signature not in seen:
            seen.add(l.signature)
            out.append(l)
    return out


def structure_mistake(student_layers, ref_layers, call: str, hint: str):
    """A Mistake saying how the student's layers differ from the book's, or None when they agree."""
    mine, book = Counter(l.signature for l in student_layers), Counter(l.signature for l in ref_layers)
    if mine == book:
        return None
    missing = [l for l in ref_layers if (book - mine)[l.signature]]
    extra = [l for l in student_layers if (mine - book)[l.signature]]
    text = (f"{call} has the layers with parameters [{listing(student_layers)}]; the book's block has "
            f"[{listing(ref_layers)}].")
    if missing:
        text += f" Missing or different: {listing(_once(missing))}."
    if extra:
        text += f" Not in the book's block: {listing(_once(extra))}."
    return Mistake(text, hint)


def pairings(student_layers, ref_layers):
    """Each way to pair the student's layers with the reference's, same kind and shapes, registration order
    first: dicts reference prefix -> student prefix."""
    groups = {}
    for l in ref_layers:
        groups.setdefault(l.signature, ([], []))[0].append(l.prefix)
    for l in student_layers:
        groups[l.signature][1].append(l.prefix)
    keys = list(groups)
    choices = [list(itertools.permutations(groups[k][1])) for k in keys]
    for combo in itertools.islice(itertools.product(*choices), MAX_PAIRINGS):
        yield {r: s for k, mine in zip(keys, combo) for r, s in zip(groups[k][0], mine)}


# -- the reference's weights, and the diagnosis of a wrong output ----------------------------------------------

def randomize(module: nn.Module, seed: int) -> nn.Module:
    """Weights unlike a fresh layer's: conv weights ~ N(0, 1/fan_in), biases ~ N(0, 0.3^2), batch-norm scales
    around 1 and shifts around 0, running statistics away from (0, 1), so that every part shows in the output."""
    with torch.no_grad():
        for i, (name, t) in enumerate(module.state_dict().items()):
            last = name.rpartition(".")[2]
            if last == "num_batches_tracked" or not t.is_floating_point():
                continue
            s = seed * 101 + i
            if last == "weight" and t.dim() > 1:
                value = seeded(*t.shape, seed=s, scale=1 / math.sqrt(t[0].numel()))
            elif last == "weight":
                value = seeded(*t.shape, seed=s, scale=0.3, shift=1.0)
            elif last == "running_var":
                value = seeded(*t.shape, seed=s, uniform=True, scale=1.5, shift=0.5)
            else:  # bias, running_mean
                value = seeded(*t.shape, seed=s, scale=0.3)
            t.copy_(value.to(t.device, t.dtype))
    return module


def diagnosis(variants: dict, default: str = ""):
    """A `diagnose` for Matched: the hint of the first known mistake whose output, with the same weights, is what
    came back. `variants` maps a hint to the switches of the reference block that make that mistake (e.g.
    {"relu": None}: the reference classes below read their switches in forward), or to a list of them."""
    def diagnose(got, ref, state, X, training=True):
        def output(switches):
            def compute():
                module = copy.deepcopy(ref)
                module.load_state_dict(state)
                for name, value in switches.items():
                    setattr(module, name, value)
                module.train(training)
                with torch.set_grad_enabled(training):
                    return module(X)
            return compute
        return first_matching_hint(got, {hint: [output(one) for one in (sw if isinstance(sw, list) else [sw])]
                                         for hint, sw in variants.items()}, default, rtol=1e-5, atol=1e-7)
    return diagnose


class Matched:
    """The student's block and the reference holding the same weights, the student's layers paired with the
    reference's."""

    def __init__(self, student, call, args, kwargs, reference, X, device, seed=0, error_hint="", diagnose=None,
                 training=True, structure_hint="", strict=True):
        """Build the student's block, initialise it on X (float64), and find the pairing under which its output
        (training mode, or evaluation mode with `training=False`) equals the reference's, or fail with what
        differs. `diagnose` (see `diagnosis`) names the mistake behind a wrong output, `structure_hint` what the
        layers should be, `error_hint` (a text, or a function of the error's message) the cause of an error.

        With `strict=False` a block whose layers or output differ from the reference's is kept, with `exact`
        False (and `mistake` saying why), for the tests of one property that does not need the whole block
        right (gradients that flow, batch norms that switch modes): each mistake costs its own test's points."""
        self.call, self.device, self.exact, self.mistake = call, device, True, None
        self.pairing = {}
        self.inst = build(student, call, *args, **kwargs)
        materialize(self.inst, X.float(), call, error_hint)
        self.inst.method("double")
        self.ref = randomize(reference.to(device, torch.float64), seed)
        self.ref_state = {k: v.clone() for k, v in self.ref.state_dict().items()}
        self.ref_layers = layers_of(self.ref_state)
        self.layers = layers_of(state_of(self.inst, call))
        wrong = structure_mistake(self.layers, self.ref_layers, call, structure_hint)
        if wrong:
            if strict:
                raise wrong
            self.exact, self.mistake = False, wrong
            return
        what = f"{call} ({'training' if training else 'evaluation'} mode) on X of shape {tuple(X.shape)}"
        if not training:
            self.inst.eval()
        want = self.reference(X, training)
        first = None
        for pairing in pairings(self.layers, self.ref_layers):
            self.pairing = pairing
            self.load()
            out = run(self.inst, X, what, error_hint, return_args=True, grad_enabled=training)
            if not torch.equal(out.args[0], X):
                raise Mistake(f"{what} changed its input X in place.", INPLACE_HINT)
            if first is None:
                first = (pairing, out.value)
            got = out.value
            if isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(
                    got.to(want.dtype), want, rtol=RTOL, atol=ATOL):
                break
        else:
            self.pairing, got = first
            self.load()
            self.expect_loaded()
            try:
                expect_close(got, want, what, (lambda: diagnose(got, self.ref, self.ref_state, X, training))
                             if diagnose else structure_hint, rtol=RTOL, atol=ATOL, check_dtype=False)
            except Mistake as e:
                if strict:
                    raise
                self.exact, self.mistake = False, e
        self.inst.train()

    @classmethod
    def lenient(cls, *args, **kwargs):
        """Matched(..., strict=False): for the tests of one property (gradients, batch-norm modes)."""
        return cls(*args, strict=False, **kwargs)

    def reference(self, X, training=True):
        """The reference's output, fresh from the weights both hold."""
        ref = copy.deepcopy(self.ref)
        ref.load_state_dict(self.ref_state)
        ref.train(training)
        with torch.set_grad_enabled(training):
            return ref(X)

    def load(self):
        """Give the student's layers the reference's weights and running statistics."""
        for layer in self.ref_layers:
            for name in layer.tensors:
                self.inst.set(key(self.pairing[layer.prefix], name), self.ref_state[key(layer.prefix, name)])

    def expect_loaded(self):
        """After load(): each layer holds what it was given, else two of the student's layers are one module."""
        state = self.inst.state()
        for layer in self.ref_layers:
            for name in layer.tensors:
                mine = key(self.pairing[layer.prefix], name)
                if not torch.equal(state[mine].to(self.device), self.ref_state[key(layer.prefix, name)]):
                    raise Mistake(f"{self.call}: setting {mine} also changed another layer's weights.", SHARED_HINT)

    def student_tensor(self, ref_key: str, state: dict):
        prefix, _, name = ref_key.rpartition(".")
        return state[key(self.pairing[prefix], name)]

    def batch_norms(self):
        return [l for l in self.ref_layers if l.kind == "batch norm"]


# -- the standard tests of a block ------------------------------------------------------------------------------

def hint_for_shape(got, candidates: dict, default: str = "") -> str:
    """The hint of the first known wrong shape that `got` has (candidates: hint -> shape, or None)."""
    for hint, shape in candidates.items():
        if shape is not None and isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(shape):
            return hint
    return default


def check_shapes(student, cases, device, shape_hint, error_hint=""):
    """cases: (call text, constructor args, kwargs, input shape, expected output shape), each a new block run in
    training mode on float32 input. `shape_hint(args, kwargs, input shape, got)` names the mistake behind a
    wrong shape; `error_hint` the usual cause of an error on the way (or a function of the error's message)."""
    for n, (call, args, kwargs, shape, want) in enumerate(cases):
        inst = build(student, call, *args, **kwargs)
        X = seeded(*shape, seed=100 + n, device=device)
        what = f"{call} on X of shape {tuple(shape)}"
        got = run(inst, X, what, error_hint).value
        if not isinstance(got, torch.Tensor):
            raise Mistake(f"{what} returned {type(got).__name__}, expected a tensor of shape {tuple(want)}.",
                          MODULE_HINT)
        if tuple(got.shape) != tuple(want):
            raise Mistake(f"{what} returned shape {tuple(got.shape)}, expected {tuple(want)}.",
                          shape_hint(args, kwargs, shape, got))
        if got.dtype != X.dtype:
            raise Mistake(f"{what} returned dtype {got.dtype} for float32 X.", "keep the input's dtype.")


def check_parameter_count(student, call, args, kwargs, shape, reference, device, hint, error_hint=""):
    """The parameters of the student's block, initialised on input of `shape`, against the reference's: their
    number, then the layers that hold them."""
    inst = build(student, call, *args, **kwargs)
    materialize(inst, seeded(*shape, seed=7, device=device), call, error_hint)
    state = state_of(inst, call)
    mine, book = layers_of(state), layers_of(reference.state_dict())
    count, want = parameter_count(state), parameter_count(reference.state_dict())
    what = f"{call} on {shape[1]} input channels"
    if count == 0 and want:
        raise Mistake(f"{what} has no parameters; the book's block has {want} in [{listing(book)}].",
                      "register the layers as submodules: attributes that are layers, nn.Sequential or "
                      "nn.ModuleList; layers kept in a plain Python list (or made inside forward) are invisible "
                      "to the module, its optimizer and .to(device).")
    if count != want:
        raise Mistake(f"{what} has {count} parameters in [{listing(mine)}]; the book's block has {want} in "
                      f"[{listing(book)}].", hint)
    wrong = structure_mistake(mine, book, what, hint)
    if wrong:
        raise wrong


def check_batch_norm(m: Matched, batches, X_eval, hint_stats):
    """Training-mode passes update each batch norm's running statistics as torch's layers do; evaluation mode
    normalizes with them and leaves them alone. When the block is not the book's (m.exact is False: the values
    test has named that mistake), the same behaviour is checked as properties instead."""
    if not m.exact:
        return batch_norm_properties(m, batches, X_eval, len(m.batch_norms()))
    m.load()
    m.inst.train()
    ref = copy.deepcopy(m.ref)
    ref.load_state_dict(m.ref_state)
    ref.train()
    for X in batches:
        run(m.inst, X, f"{m.call} in training mode on X of shape {tuple(X.shape)}")
        ref(X)
    after = m.inst.state()
    for layer in m.batch_norms():
        for name in ("running_mean", "running_var"):
            k = key(layer.prefix, name)
            expect_close(m.student_tensor(k, after).to(m.device), ref.state_dict()[k],
                         f"the {name} of the {layer} in {m.call} after {len(batches)} forward passes in training "
                         "mode", hint_stats(layer), rtol=RTOL, atol=ATOL, check_dtype=False)
    m.inst.eval()
    ref.eval()
    what = f"{m.call} in evaluation mode (after .eval()) on X of shape {tuple(X_eval.shape)}"
    got = run(m.inst, X_eval, what, grad_enabled=False).value
    with torch.no_grad():
        want = ref(X_eval)
    expect_close(got, want, what, lambda: _eval_hint(got, ref, X_eval), rtol=RTOL, atol=ATOL, check_dtype=False)
    again = m.inst.state()
    for layer in m.batch_norms():
        k = key(layer.prefix, "running_mean")
        if not torch.equal(m.student_tensor(k, again), m.student_tensor(k, after)):
            raise Mistake(f"{what} changed the running_mean of the {layer}.",
                          "in evaluation mode batch norm uses its running statistics and leaves them alone.")
    m.inst.train()


EVAL_BATCH_HINT = ("use nn.LazyBatchNorm2d() (or nn.BatchNorm2d) with its defaults (track_running_stats=True), "
                   "called as a layer in forward: after .eval() it normalizes with its running statistics, so an "
                   "example's output no longer depends on the rest of its batch.")


def batch_norm_properties(m: Matched, batches, X_eval, count: int):
    """What batch norm does whatever the rest of the block: training passes change every batch norm's running
    statistics; in evaluation mode an example's output does not depend on its batch, and nothing changes."""
    before = state_of(m.inst, m.call)
    stats = [k for k in before if k.rpartition(".")[2] == "running_mean"]
    if len(stats) < count:
        raise Mistake(f"{m.call} has {len(stats)} batch norm(s) with running statistics; the book's block has "
                      f"{count}.", EVAL_BATCH_HINT)
    m.inst.train()
    for X in batches:
        run(m.inst, X, f"{m.call} in training mode on X of shape {tuple(X.shape)}")
    after = m.inst.state()
    still = [k for k in stats if torch.equal(after[k], before[k])]
    if still:
        raise Mistake(f"after {len(batches)} forward passes of {m.call} in training mode, {', '.join(still)} did not "
                      "change.", "every batch norm must be used in forward; in training mode it normalizes with the "
                                 "batch's statistics and updates its running averages.")
    m.inst.eval()
    what = f"{m.call} in evaluation mode (after .eval())"
    whole = run(m.inst, X_eval, f"{what} on X of shape {tuple(X_eval.shape)}", grad_enabled=False).value
    alone = run(m.inst, X_eval[:1], f"{what} on X[:1]", grad_enabled=False).value
    expect_close(alone, whole[:1], f"{what}: the first example's output alone (X[:1]) against the same example in "
                 f"the batch X of shape {tuple(X_eval.shape)}", EVAL_BATCH_HINT, rtol=RTOL, atol=ATOL)
    again = m.inst.state()
    changed = [k for k in stats if not torch.equal(again[k], after[k])]
    if changed:
        raise Mistake(f"{what} changed {', '.join(changed)}.",
                      "in evaluation mode batch norm uses its running statistics and leaves them alone.")
    m.inst.train()


def _eval_hint(got, ref, X):
    """The usual reason why evaluation mode differs."""
    batch = copy.deepcopy(ref).train()
    with torch.no_grad():
        same_as_training = batch(X)
    if got.shape == same_as_training.shape and torch.allclose(got.to(X.dtype), same_as_training, rtol=1e-5,
                                                              atol=1e-7):
        return ("in evaluation mode your batch norms normalized with the batch's own statistics: use "
                "nn.LazyBatchNorm2d() (or nn.BatchNorm2d) with its defaults (track_running_stats=True), which "
                "switches to the running statistics after .eval().")
    return "in evaluation mode each batch norm normalizes with its running_mean and running_var."


def check_gradients(m: Matched, X, seed=77):
    """Backpropagate a random output gradient in training mode: every parameter gets one, equal to the
    reference's, and so does X. When the block is not the book's (m.exact is False: the values test has named
    that mistake), only that a gradient reaches every parameter and X."""
    if not m.exact:
        return gradient_flow(m, X, seed)
    m.load()
    m.inst.train()
    what = f"{m.call} on X of shape {tuple(X.shape)}"
    out = run(m.inst, X, what, requires_grad=[0])
    G = seeded(*out.value.shape, seed=seed, dtype=torch.float64, device=m.device)
    grads = expect_backward(m.inst, [G], what, DETACHED_HINT)
    Xr = X.detach().clone().requires_grad_(True)
    ref = copy.deepcopy(m.ref)
    ref.load_state_dict(m.ref_state)
    ref.train()
    ref(Xr).backward(G)
    ref_grads = dict(ref.named_parameters())
    for layer in m.ref_layers:
        for name in layer.tensors:
            if name in BUFFERS:
                continue
            mine = key(m.pairing[layer.prefix], name)
            got = grads.params.get(mine)
            if got is None:
                raise Mistake(f"no gradient reached {mine} (the {name} of the {layer}) of {what}.",
                              "every layer must take part in the output through differentiable operations: a "
                              "layer that forward never uses, or whose result is detached, learns nothing.")
            expect_close(got, ref_grads[key(layer.prefix, name)].grad,
                         f"the gradient of {mine} (the {name} of the {layer}) of {what}", DETACHED_HINT,
                         rtol=RTOL, atol=ATOL, check_dtype=False)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached the input X of {what}.", DETACHED_HINT)
    expect_close(grads.args[0], Xr.grad, f"the gradient with respect to X of {what}", DETACHED_HINT,
                 rtol=RTOL, atol=ATOL, check_dtype=False)


def gradient_flow(m: Matched, X, seed=77):
    what = f"{m.call} on X of shape {tuple(X.shape)}"
    m.inst.train()
    out = run(m.inst, X, what, requires_grad=[0])
    if not isinstance(out.value, torch.Tensor):
        raise Mistake(f"{what} returned {type(out.value).__name__}, not a tensor.", MODULE_HINT)
    G = seeded(*out.value.shape, seed=seed, dtype=torch.float64, device=m.device)
    grads = expect_backward(m.inst, [G], what, DETACHED_HINT)
    if not grads.params:
        raise Mistake(f"{what}: the block has no parameters.", LAZY_HINT)
    for name, got in grads.params.items():
        if got is None:
            raise Mistake(f"no gradient reached the parameter {name} of {what}.",
                          "every layer must take part in the output through differentiable operations: a layer "
                          "that forward never uses, or whose result is detached, learns nothing.")
        if not torch.isfinite(got).all():
            raise Mistake(f"the gradient of {name} of {what} holds NaN or inf.", DETACHED_HINT)
    if grads.args[0] is None:
        raise Mistake(f"no gradient reached the input X of {what}.", DETACHED_HINT)


# -- the book's blocks, from torch's own layers (explicit input channels), with switches for known mistakes --

def conv_out(n, k, s=1, p=0):
    """Height (or width) after a window of size k, stride s, padding p (book 7.3)."""
    return (n + 2 * p - k) // s + 1


class VGGBlock(nn.Module):
    """Book 8.2.1: num_convs x (3x3 conv, padding 1, ReLU), then 2x2 max-pooling with stride 2."""

    def __init__(self, num_convs, in_channels, out_channels):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
                                   for i in range(num_convs))
        self.relu, self.pool = "each", "max"   # mistakes: relu None or "last"; pool "avg"

    def forward(self, X):
        for i, conv in enumerate(self.convs):
            X = conv(X)
            if self.relu == "each" or (self.relu == "last" and i == len(self.convs) - 1):
                X = F.relu(X)
        return F.max_pool2d(X, 2, 2) if self.pool == "max" else F.avg_pool2d(X, 2, 2)


class NiNBlock(nn.Module):
    """Book 8.3.1: a conv (kernel_size, strides, padding), then two 1x1 convs; a ReLU after each of the three."""

    def __init__(self, in_channels, out_channels, kernel_size, strides, padding):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding)
        self.conv1x1a = nn.Conv2d(out_channels, out_channels, 1)
        self.conv1x1b = nn.Conv2d(out_channels, out_channels, 1)
        self.relus = (True, True, True)   # mistakes: a ReLU left out

    def forward(self, X):
        for conv, relu in zip((self.conv, self.conv1x1a, self.conv1x1b), self.relus):
            X = conv(X)
            X = F.relu(X) if relu else X
        return X


class InceptionBlock(nn.Module):
    """Book 8.4.1: four branches concatenated on channels: 1x1 conv | 1x1 conv, 3x3 conv (padding 1) | 1x1 conv,
    5x5 conv (padding 2) | 3x3 max-pool (stride 1, padding 1), 1x1 conv; a ReLU after every conv."""

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.b1_1 = nn.Conv2d(in_channels, c1, 1)
        self.b2_1 = nn.Conv2d(in_channels, c2[0], 1)
        self.b2_2 = nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.b3_1 = nn.Conv2d(in_channels, c3[0], 1)
        self.b3_2 = nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.b4_2 = nn.Conv2d(in_channels, c4, 1)
        # mistakes: another order of the branches, no ReLU inside branches 2 and 3, average pooling, no ReLU
        # at the branches' ends
        self.order, self.inner_relu, self.pool, self.outer_relu = (0, 1, 2, 3), True, "max", True

    def forward(self, x):
        inner = F.relu if self.inner_relu else (lambda t: t)
        outer = F.relu if self.outer_relu else (lambda t: t)
        pooled = F.max_pool2d(x, 3, 1, 1) if self.pool == "max" else F.avg_pool2d(x, 3, 1, 1)
        branches = [outer(self.b1_1(x)), outer(self.b2_2(inner(self.b2_1(x)))),
                    outer(self.b3_2(inner(self.b3_1(x)))), outer(self.b4_2(pooled))]
        return torch.cat([branches[i] for i in self.order], dim=1)


class ResidualBlock(nn.Module):
    """Book 8.6.2: conv 3x3 (stride) -> BN -> ReLU -> conv 3x3 -> BN, plus the input (through a 1x1 conv with the
    same stride when use_1x1conv), then ReLU."""

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, num_channels, 3, padding=1, stride=strides)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(num_channels)
        self.conv3 = nn.Conv2d(in_channels, num_channels, 1, stride=strides) if use_1x1conv else None
        self.variant = None   # mistakes, by name (see forward)

    def forward(self, X):
        v = self.variant
        if v == "bn after relu":
            Y = self.bn1(F.relu(self.conv1(X)))
        else:
            Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        shortcut = self.conv3(X) if self.conv3 is not None else X
        if v == "no shortcut":
            return F.relu(Y)
        if v == "relu before add":
            return F.relu(Y) + shortcut
        if v == "no final relu":
            return Y + shortcut
        return F.relu(Y + shortcut)


class ConvBlock(nn.Module):
    """Book 8.7.2: BN -> ReLU -> 3x3 conv (padding 1)."""

    def __init__(self, in_channels, num_channels):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, num_channels, 3, padding=1)
        self.order = "bn relu conv"   # mistakes: another order, a step left out

    def forward(self, X):
        steps = {"bn": self.bn, "relu": F.relu, "conv": self.conv}
        for name in self.order.split():
            X = steps[name](X)
        return X


class DenseBlockRef(nn.Module):
    """Book 8.7.2: num_convs conv blocks, each fed the concatenation (on channels) of the input and every earlier
    block's output; its own output is concatenated after them."""

    def __init__(self, num_convs, in_channels, num_channels):
        super().__init__()
        self.blocks = nn.ModuleList(ConvBlock(in_channels + i * num_channels, num_channels)
                                    for i in range(num_convs))
        self.variant = None   # mistake: "output first"

    def forward(self, X):
        for blk in self.blocks:
            Y = blk(X)
            X = torch.cat((Y, X) if self.variant == "output first" else (X, Y), dim=1)
        return X


class TransitionBlock(nn.Module):
    """Book 8.7.3: BN -> ReLU -> 1x1 conv -> 2x2 average pooling with stride 2."""

    def __init__(self, in_channels, num_channels):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, num_channels, 1)
        self.variant = None   # mistakes: "no relu", "max pool", "relu after conv"

    def forward(self, X):
        v = self.variant
        Y = self.bn(X)
        Y = Y if v in ("no relu", "relu after conv") else F.relu(Y)
        Y = self.conv(Y)
        Y = F.relu(Y) if v == "relu after conv" else Y
        return F.max_pool2d(Y, 2, 2) if v == "max pool" else F.avg_pool2d(Y, 2, 2)
