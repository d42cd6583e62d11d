"""What ch09's graders share: calling a lesson's given helper by name, calls whose errors name the call, short
quotes of strings and lists for messages, and the float64 truth of the book's RNN (9.5)."""
import torch

from autograder.checks import FATAL, Mistake, StudentError, as_mistake


def quote(value, limit: int = 70) -> str:
    """A short repr of a string, list or other plain value for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 4] + " ..."


def kind(value) -> str:
    """What came back, in words: 'the str ...', 'a list of 3 items', 'None'."""
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float)):
        return repr(value)
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

    Graded in a sandbox, by `grade_code`, or in a kernel by `grade_callable` from the defining cell in its input
    history, every cell of the lesson has run there, so `name` is defined. Graded by `grade_callable` from the
    object alone (no input history names its cell), the session holds the exercise's symbol alone; then `name` is
    taken from the namespace in which the student's function or class was defined, which is where the lesson's
    given cells ran. That path is in-process and not the trust boundary (see README), so reading the object's
    globals there costs nothing in safety.
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
    W_xh, W_hh, b_h, inputs = (t.cpu().double() for t in (W_xh, W_hh, b_h, inputs))   # autograd goes through
    if H is None:
        H = torch.zeros(inputs.shape[1], W_xh.shape[1], dtype=torch.float64)
    H = H.cpu().double()
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


# -- minibatches of a corpus (book 9.3.3) -------------------------------------------------------------------------

def shuffled_corpus(length: int, seed: int) -> list:
    """A corpus of `length` distinct token indices in a fixed random order: a value names its position (see
    `positions`), and `Y = X + 1` on the values is not the next token."""
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(length, generator=g).tolist()


def positions(values: torch.Tensor, corpus: list) -> torch.Tensor:
    """The positions in `corpus` of the token indices `values` (every value of the corpus is distinct)."""
    where = torch.full((max(corpus) + 1,), -1, dtype=torch.int64)
    where[torch.tensor(corpus)] = torch.arange(len(corpus))
    return where[values]


SHORT_TARGETS_HINT = ("the targets ran past the end of the corpus: Ys starts one token after Xs and must hold as many "
                      "tokens, so keep one token for it: num_tokens = ((len(corpus) - offset - 1) // batch_size) * "
                      "batch_size.")
TOO_LONG_HINT = ("a piece ran past the end of the corpus: the last target needs one token after the last input, so "
                 "(len(corpus) - 1) // num_steps pieces, counted after the offset.")


def epoch(student, corpus, batch_size, num_steps, what, limit=None):
    """The minibatches of one call of the student's generator, as a list of (X, Y). A generator (or any
    iterator) is stepped with __next__ where it lives; a list or tuple of minibatches is read by index."""
    limit = limit or len(corpus) + 2
    try:
        it = student.new(corpus, batch_size, num_steps)
    except StudentError as e:
        as_mistake(e, what)
    out = []
    while True:
        try:
            item = it.bound("__next__").run().value
        except StudentError as e:
            if e.type == "StopIteration":
                return out
            if e.type == "AttributeError" and "__next__" in e.message:
                return indexed(it, what)
            hint = TOO_LONG_HINT if "expected sequence of length" in e.message else (
                SHORT_TARGETS_HINT if "is invalid for input of size" in e.message else "")
            as_mistake(e, what, hint)
        out.append(item)
        if len(out) > limit:
            raise Mistake(f"{what} gave more than {limit} minibatches for a corpus of {len(corpus)} tokens.",
                          "yield each minibatch once and stop after the last full one.")


def indexed(it, what):
    """The minibatches of a returned list or tuple."""
    try:
        n = it.bound("__len__").run().value
        return [it.bound("__getitem__").run(i).value for i in range(n)]
    except StudentError as e:
        as_mistake(e, what, "yield the minibatches (a generator), as the book does: for ... : yield X, Y.")


def check_minibatch(item, corpus, batch_size, num_steps, what):
    """One minibatch (X, Y): a pair of int64 tensors of shape (batch_size, num_steps) whose rows are pieces of the
    corpus, Y one token after X. Returns the positions of X's tokens in the corpus."""
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise Mistake(f"{what} gave {kind(item)} as a minibatch, expected a pair (X, Y).",
                      "yield X, Y: two tensors, the inputs and the targets.")
    for name, T in zip("XY", item):
        if not isinstance(T, torch.Tensor):
            raise Mistake(f"{what} gave {kind(T)} as {name}, expected a tensor.",
                          "torch.tensor(list_of_lists) turns the pieces into one tensor.")
        if tuple(T.shape) != (batch_size, num_steps):
            raise Mistake(f"{what} gave {name} of shape {tuple(T.shape)}, expected (batch_size, num_steps) = "
                          f"({batch_size}, {num_steps}).",
                          "each minibatch holds batch_size pieces of num_steps tokens; a piece is "
                          "corpus[s:s + num_steps], and only full minibatches are yielded.")
        if T.dtype != torch.int64:
            raise Mistake(f"{what} gave {name} of dtype {T.dtype}, expected torch.int64 (token indices).",
                          "torch.tensor of a list of Python ints is int64; one_hot and embeddings need int64 "
                          "indices.")
    X, Y = item[0].cpu(), item[1].cpu()   # on a GPU the tensors come back there; positions are looked up here
    top = max(corpus)
    for name, T in zip("XY", (X, Y)):
        P = positions(T.clamp(0, top), corpus) if T.numel() else T
        if T.numel() and (T.min() < 0 or T.max() > top or (P < 0).any()):
            raise Mistake(f"{what} gave {name} = {T.tolist()}, which holds numbers that are not tokens of the "
                          "corpus.", "X and Y hold tokens of the corpus itself (corpus[s:s + num_steps]), not "
                                     "positions or offsets.")
    PX, PY = positions(X, corpus), positions(Y, corpus)
    steps = PX[:, 1:] - PX[:, :-1]
    if not bool((steps == 1).all()):
        r = int((steps != 1).any(1).nonzero()[0])
        hint = ("each row of X is one piece: num_steps consecutive tokens, corpus[s:s + num_steps].")
        if bool((steps == batch_size).all()) and batch_size > 1:
            hint = ("the rows are interleaved: reshape(batch_size, -1) keeps each row one stretch of the corpus, "
                    "reshape(-1, batch_size) (and a transpose) does not.")
        raise Mistake(f"{what}: row {r} of X holds the tokens at positions {PX[r].tolist()} of the corpus, which "
                      "are not consecutive.", hint)
    if not bool((PY == PX + 1).all()):
        r = int((PY != PX + 1).any(1).nonzero()[0])
        if bool((PY == PX).all()):
            hint = "Y equals X: the target of a piece is the same piece one token later, corpus[s + 1:s + 1 + num_steps]."
        elif torch.equal(Y, X + 1):
            hint = ("Y = X + 1 adds one to the token indices; the target is the next token of the corpus, "
                    "corpus[s + 1:s + 1 + num_steps], whatever its index.")
        elif bool((PY == PX - 1).all()):
            hint = "Y is one token before X; it must be one token after: corpus[s + 1:s + 1 + num_steps]."
        elif bool((PY == PX + num_steps).all()):
            hint = "Y is the next piece; it is the same piece shifted by ONE token: corpus[s + 1:s + 1 + num_steps]."
        else:
            hint = "Y[i, t] is the token that follows X[i, t] in the corpus: corpus[s + 1:s + 1 + num_steps]."
        raise Mistake(f"{what}: row {r} of X holds the tokens at positions {PX[r].tolist()} of the corpus and row "
                      f"{r} of Y those at {PY[r].tolist()}; Y should be at {(PX[r] + 1).tolist()}.", hint)
    return PX


# -- the lesson's CharLM (rnn_scratch.ipynb): a model and its vocabulary, built from a string ----------------------

LM_PARAMS = ["rnn.W_xh", "rnn.W_hh", "rnn.b_h", "W_hq", "b_q"]


def char_lm(sibling, student, text, num_hiddens, sigma=0.01, device="cpu", weights=None):
    """The lesson's CharLM(text, num_hiddens, sigma, device) where the student's code runs, with `weights`
    ({"rnn.W_xh": tensor, ...}) copied into its model."""
    what = f"CharLM({text!r}, num_hiddens={num_hiddens}) (which builds RNNScratch and your RNNLMScratch)"
    try:
        lm = given(sibling, student, "CharLM").new(text, num_hiddens, sigma, device=str(device))
    except StudentError as e:
        as_mistake(e, what, "keep the given __init__ of RNNLMScratch(rnn, vocab_size)." if e.type == "TypeError"
                   else "")
    for name, value in (weights or {}).items():
        try:
            lm.set(f"model.{name}", value.to(torch.float32).to(device))
        except StudentError as e:
            as_mistake(e, f"setting the model's {name}", f"keep the given parameter {name} of shape "
                                                         f"{tuple(value.shape)}.")
    return lm


def read_tensor(lm, path, what, hint=""):
    """The tensor at attribute `path` of the object (e.g. "model.W_hq.grad"), read through its clone()."""
    try:
        value = lm.bound(f"{path}.clone").run().value
    except StudentError as e:
        as_mistake(e, f"reading {what}", hint)
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{what} is {kind(value)}, expected a tensor.", hint)
    return value


def lm_weights(vocab_size, num_hiddens, seed, scale=1.0):
    """Random weights for the book's RNN language model (float64), large enough that every part matters."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape, s=1.0: torch.randn(*shape, generator=g, dtype=torch.float64) * s * scale  # noqa: E731
    return {"rnn.W_xh": r(vocab_size, num_hiddens, s=1.2), "rnn.W_hh": r(num_hiddens, num_hiddens, s=0.6),
            "rnn.b_h": r(num_hiddens, s=0.3), "W_hq": r(num_hiddens, vocab_size, s=1.5),
            "b_q": r(vocab_size, s=0.3)}


def lm_logits(P, X):
    """The book's RNNLMScratch in float64: indices X (batch, steps) -> logits (batch, steps, vocab)."""
    V = P["W_hq"].shape[1]
    E = torch.nn.functional.one_hot(X.T.cpu(), V).double()
    outputs, _ = rnn_forward(P["rnn.W_xh"], P["rnn.W_hh"], P["rnn.b_h"], E)
    return torch.stack([H @ P["W_hq"] + P["b_q"] for H in outputs], 1)
