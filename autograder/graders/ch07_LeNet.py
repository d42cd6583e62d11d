"""Grader for ch07-LeNet: `LeNet(lr=0.1, num_classes=10)`, the LeNet-5 of book 7.6 as an nn.Module whose layers are
`self.net`, an nn.Sequential in the book's order: convolution (6 channels, 5 x 5, padding 2), sigmoid, 2 x 2 average
pooling at stride 2, convolution (16 channels, 5 x 5), sigmoid, the same pooling, flatten, then linear layers of
120, 84 and num_classes outputs with sigmoids between them. The lesson gives forward(X) = self.net(X).

The layers are walked one by one (`net.0`, `net.1`, ...) on a (1, 1, 28, 28) input, as the book's layer_summary
does, for their output shapes; parameters are matched by their order and shapes, set to known values, and each
layer's output and the logits are compared in float64 with the same network written here with torch's functional
ops (no TF32 on a GPU to blur the comparison).
"""
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (Mistake, StudentError, as_mistake, expect_backward, expect_close, expect_shape,
                               first_matching_hint, seeded)
from autograder.graders.common.modules import state

NAMES = ["Conv2d", "Sigmoid", "AvgPool2d", "Conv2d", "Sigmoid", "AvgPool2d", "Flatten", "Linear", "Sigmoid",
         "Linear", "Sigmoid", "Linear"]
SHAPES = [(1, 6, 28, 28), (1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 10, 10), (1, 16, 5, 5), (1, 400),
          (1, 120), (1, 120), (1, 84), (1, 84), (1, 10)]


def param_shapes(num_classes=10):
    return [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (num_classes, 84),
            (num_classes,)]


BOOK = ("self.net = nn.Sequential(nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), "
        "nn.AvgPool2d(kernel_size=2, stride=2), nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), "
        "nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), "
        "nn.Sigmoid(), nn.LazyLinear(num_classes)), the book's layers in the book's order.")
NET_HINT = "keep the layers in self.net, one nn.Sequential (the lesson's forward returns self.net(X)): " + BOOK
LAYER_HINTS = {
    0: "the first convolution has 6 output channels, a 5 x 5 kernel and padding=2, which keeps 28 x 28.",
    1: "a sigmoid (nn.Sigmoid()) follows each convolution and each hidden linear layer, as in the book "
       "(ReLU came later).",
    2: "the pooling is average pooling over 2 x 2 windows at stride 2 (nn.AvgPool2d(kernel_size=2, stride=2)): it "
       "halves the height and width (max pooling came later).",
    3: "the second convolution has 16 output channels and a 5 x 5 kernel, without padding: 14 x 14 becomes 10 x 10.",
    6: "nn.Flatten() turns (batch, 16, 5, 5) into (batch, 400) for the linear layers.",
    7: "the linear layers have 120, 84 and num_classes outputs (nn.LazyLinear(120), ...).",
    11: "the last layer is the linear layer with num_classes outputs: it returns logits, with no activation after "
        "it (the loss applies the softmax).",
}


def layer_hint(i):
    kind = NAMES[i] if i < len(NAMES) else ""
    same = [j for j, n in enumerate(NAMES) if n == kind]
    for j in [i] + same:
        if j in LAYER_HINTS:
            return LAYER_HINTS[j]
    return BOOK


def new(student, device, num_classes=10):
    call = f"LeNet(num_classes={num_classes})"
    try:
        model = student.new(num_classes=num_classes, seed=0)
    except StudentError as e:
        as_mistake(e, call, "the constructor takes lr=0.1 and num_classes=10, as in the book; " + BOOK)
    X = torch.zeros(2, 1, 28, 28, device=device)
    try:
        model(X)   # a first forward pass gives lazy layers their shapes
    except StudentError as e:
        as_mistake(e, f"{call}(X) for X of shape (2, 1, 28, 28)", NET_HINT)
    return model, call


def walk(model, X, call):
    """Each layer's output, in order: net.0 on X, net.1 on that, ... until net has no more layers."""
    outs = []
    for i in range(40):
        try:
            outs.append(model.bound(f"net.{i}")(X if not outs else outs[-1]))
        except StudentError as e:
            if e.type == "AttributeError" and i > 0 and f"'{i}'" in e.message:
                return outs
            if e.type == "AttributeError" and i == 0:
                as_mistake(e, f"{call}.net[0]", NET_HINT)
            shape = tuple((X if not outs else outs[-1]).shape)
            as_mistake(e, f"{call}.net[{i}] on the previous layer's output (shape {shape})", layer_hint(i))
    return outs


def book_values(device, num_classes=10, seed=100, dtype=torch.float64):
    """Known parameters, scaled by 1/sqrt(fan_in) so that no sigmoid saturates."""
    values = []
    for k, shape in enumerate(param_shapes(num_classes)):
        if len(shape) > 1:
            fan_in = torch.Size(shape[1:]).numel()
            values.append(seeded(*shape, seed=seed + k, dtype=dtype, device=device, scale=2.0 / fan_in ** 0.5))
        else:
            values.append(seeded(*shape, seed=seed + k, dtype=dtype, device=device, scale=0.5))
    return values


def book_layers(X, values):
    """The book's LeNet with the given parameters, layer by layer."""
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = values
    steps = [lambda x: F.conv2d(x, w1, b1, padding=2), torch.sigmoid, lambda x: F.avg_pool2d(x, 2, 2),
             lambda x: F.conv2d(x, w2, b2), torch.sigmoid, lambda x: F.avg_pool2d(x, 2, 2),
             lambda x: x.flatten(1), lambda x: F.linear(x, w3, b3), torch.sigmoid, lambda x: F.linear(x, w4, b4),
             torch.sigmoid, lambda x: F.linear(x, w5, b5)]
    outs = []
    for step in steps:
        outs.append(step(X if not outs else outs[-1]))
    return outs


def with_values(student, device, num_classes=10, seed=100):
    """A new LeNet in float64 whose parameters (matched in order, by shape) hold the known values."""
    model, call = new(student, device, num_classes)
    try:
        model.method("double")
    except StudentError as e:
        as_mistake(e, f"{call}.double()")
    found = state(model, call, NET_HINT)
    names = [n for n in found if found[n].is_floating_point()]
    shapes = [tuple(found[n].shape) for n in names]
    if shapes != param_shapes(num_classes):
        raise Mistake(f"the parameters of {call} (after a forward pass on (2, 1, 28, 28)) have the shapes {shapes}; "
                      f"the book's LeNet has {param_shapes(num_classes)}.", BOOK)
    values = book_values(device, num_classes, seed)
    for name, value in zip(names, values):
        try:
            model.set(name, value)
        except StudentError as e:
            as_mistake(e, f"setting {call}.{name} to known values")
    return model, call, names, values


@pytest.mark.points(2.5)
def test_layer_output_shapes(student, device):
    """The book's layer_summary on a (1, 1, 28, 28) input."""
    model, call = new(student, device)
    outs = walk(model, torch.zeros(1, 1, 28, 28, device=device), call)
    got = [tuple(o.shape) for o in outs]
    for i, (shape, want) in enumerate(zip(got, SHAPES)):
        if shape != want:
            raise Mistake(f"{call}.net[{i}] (the book's {NAMES[i]}) returned shape {shape}; on a (1, 1, 28, 28) "
                          f"input the book's LeNet gives {want} there. Your shapes: {got}.", layer_hint(i))
    if len(got) != len(SHAPES):
        raise Mistake(f"{call}.net has {len(got)} layers; the book's has {len(SHAPES)} ({', '.join(NAMES)}). Your "
                      f"shapes: {got}.", layer_hint(min(len(got), len(SHAPES) - 1)))


@pytest.mark.points(1.5)
def test_parameter_shapes_and_count(student, device):
    model, call = new(student, device)
    found = state(model, call, NET_HINT)
    shapes = [tuple(t.shape) for t in found.values() if t.is_floating_point()]
    total = sum(torch.Size(s).numel() for s in shapes)
    if shapes != param_shapes() or total != 61_706:
        raise Mistake(f"{call} has parameters of shapes {shapes} ({total:,} numbers); the book's LeNet has "
                      f"{param_shapes()} (61,706 numbers).", BOOK)


def diagnose_layer(i, before, got, want) -> str:
    candidates = {}
    if i < len(NAMES) and NAMES[i] == "Sigmoid":
        candidates[LAYER_HINTS[1]] = [lambda: torch.relu(before), lambda: torch.tanh(before), lambda: before]
    if i < len(NAMES) and NAMES[i] == "AvgPool2d":
        candidates[LAYER_HINTS[2]] = lambda: F.max_pool2d(before, 2, 2)
    if i == 11:
        candidates[LAYER_HINTS[11]] = [lambda: torch.softmax(want, 1), lambda: torch.sigmoid(want)]
    return first_matching_hint(got, candidates, default=layer_hint(i))


@pytest.mark.points(2)
def test_each_layer_computes_the_books(student, device):
    model, call, _, values = with_values(student, device, seed=100)
    X = seeded(1, 1, 28, 28, seed=7, dtype=torch.float64, device=device, uniform=True)
    outs = walk(model, X, call)
    wants = book_layers(X, values)
    for i, (got, want) in enumerate(zip(outs, wants)):
        before = X if i == 0 else wants[i - 1]
        expect_close(got, want, f"{call}.net[{i}] (the book's {NAMES[i]}), in float64 with known parameters, on "
                                f"the previous layers' output", lambda: diagnose_layer(i, before, got, want))
    if len(outs) != len(wants):
        raise Mistake(f"{call}.net has {len(outs)} layers; the book's has {len(wants)} ({', '.join(NAMES)}).",
                      layer_hint(min(len(outs), len(wants) - 1)))


@pytest.mark.points(2)
def test_logits_match_the_books_lenet(student, device):
    model, call, _, values = with_values(student, device, seed=200)
    X = seeded(4, 1, 28, 28, seed=8, dtype=torch.float64, device=device, uniform=True)
    try:
        got = model(X)
    except StudentError as e:
        as_mistake(e, f"{call}(X) for X of shape (4, 1, 28, 28)", NET_HINT)
    want = book_layers(X, values)[-1]
    expect_close(got, want, f"{call}(X) in float64 with known parameters, X of shape (4, 1, 28, 28)",
                 lambda: diagnose_layer(11, None, got, want) if isinstance(got, torch.Tensor) and
                 got.shape == want.shape else BOOK)


@pytest.mark.points(1)
def test_num_classes(student, device):
    for num_classes in (5, 3):
        model, call = new(student, device, num_classes)
        X = torch.zeros(2, 1, 28, 28, device=device)
        expect_shape(model(X), (2, num_classes), f"{call}(X) for X of shape (2, 1, 28, 28)",
                     "the last layer has num_classes outputs: nn.LazyLinear(num_classes), not a fixed 10.")


@pytest.mark.points(1)
def test_parameter_gradients(student, device):
    model, call, names, values = with_values(student, device, seed=300)
    X = seeded(3, 1, 28, 28, seed=9, dtype=torch.float64, device=device, uniform=True)
    out = model.run(X, requires_grad=[0]).value
    leaves = [v.clone().requires_grad_(True) for v in values]
    want = book_layers(X, leaves)[-1]
    expect_close(out, want, f"{call}(X) in float64, X of shape (3, 1, 28, 28)", BOOK)
    G = seeded(*want.shape, seed=10, dtype=torch.float64, device=device)
    want.backward(G)
    grads = expect_backward(model, [G], f"{call}(X)", NET_HINT)
    for name, leaf in zip(names, leaves):
        got = grads.params.get(name)
        if got is None:
            raise Mistake(f"no gradient reached {call}'s parameter {name}.", NET_HINT)
        expect_close(got, leaf.grad, f"the gradient of {call}'s {name}", BOOK)
