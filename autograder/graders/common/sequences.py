"""What ch09's graders share: calling a lesson's given helper by name, calls whose errors name the call, short
quotes of strings and lists for messages, and the float64 truth of the book's RNN (9.5)."""
import torch

from autograder.checks import FATAL, StudentError, as_mistake


def quote(value, limit: int = 70) -> str:
    """A short repr of a string, list or other plain value for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 4] + " ..."


def kind(value) -> str:
    """What came back, in words: 'the str ...', 'a list of 3 items', 'None'."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items {quote(value)}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__} ({quote(value)})"


def run(impl, what: str, *args, hint: str = "", **kwargs):
    """`impl.run(*args, **kwargs).value`, an error of the student's code raised as a Mistake that names `what`."""
    try:
        return impl.run(*args, **kwargs).value
    except StudentError as e:
        as_mistake(e, what, hint)


def raises(impl, *args, **kwargs) -> bool:
    """Whether the call raises an error on purpose (a hang or a memory blow-up is not one: it stays fatal)."""
    try:
        impl.run(*args, **kwargs)
    except StudentError as e:
        if e.type in FATAL:
            raise
        return True
    return False


def given(sibling, student, name: str):
    """The lesson's given function or class `name`, called where the student's code runs (`sibling(name)`).

    Graded in a sandbox or by `grade_code`, every cell of the lesson has run there, so `name` is defined. Graded in
    the student's own kernel (the hidden test cell's `notebook_score`, i.e. `grade_callable`), the session holds the
    exercise's symbol alone; then `name` is taken from the namespace in which the student's function or class was
    defined (the kernel's), which is where the lesson's given cells ran. That path is in-process and not the trust
    boundary (see README), so reading the object's globals there costs nothing in safety.
    """
    session = getattr(student.transport, "session", None)   # LocalTransport only
    if session is not None and name not in session.ns:
        obj = session.ns.get(student.symbol)
        namespace = getattr(obj, "__globals__", None)
        if namespace is None and isinstance(obj, type):
            for attr in vars(obj).values():
                attr = getattr(attr, "fget", attr)   # a property's getter
                namespace = getattr(attr, "__globals__", None)
                if namespace is not None:
                    break
        if namespace is not None and name in namespace:
            session.ns[name] = namespace[name]
    return sibling(name)


# -- the RNN of book 9.5, in float64 on the CPU --------------------------------------------------------------

def rnn_forward(W_xh, W_hh, b_h, inputs, H=None):
    """H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h) over inputs of shape (num_steps, batch, num_inputs), from
    zeros or from H. Returns the list of each step's H and the last H."""
    W_xh, W_hh, b_h, inputs = (t.detach().cpu().double() for t in (W_xh, W_hh, b_h, inputs))
    if H is None:
        H = torch.zeros(inputs.shape[1], W_xh.shape[1], dtype=torch.float64)
    H = H.detach().cpu().double()
    outputs = []
    for X in inputs:
        H = torch.tanh(X @ W_xh + H @ W_hh + b_h)
        outputs.append(H)
    return outputs, H


def torch_rnn(W_xh, W_hh, b_h, inputs, H=None):
    """PyTorch's own nn.RNN (tanh) in float64 on the CPU with the book's parameters: weight_ih = W_xh^T,
    weight_hh = W_hh^T, bias_ih = b_h, bias_hh = 0. Returns (outputs of shape (num_steps, batch, h), last H)."""
    num_inputs, num_hiddens = W_xh.shape
    m = torch.nn.RNN(num_inputs, num_hiddens, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        m.weight_ih_l0.copy_(W_xh.detach().cpu().double().T)
        m.weight_hh_l0.copy_(W_hh.detach().cpu().double().T)
        m.bias_ih_l0.copy_(b_h.detach().cpu().double())
        m.bias_hh_l0.zero_()
        X = inputs.detach().cpu().double()
        out, H_n = m(X) if H is None else m(X, H.detach().cpu().double()[None])
    return out, H_n[0]
