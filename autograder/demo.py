"""`autograder demo`: grade a small bundled class, offline, through the real pipeline, and print a table.

The class is built from the committed release notebooks: ada hands in the instructor's solutions, ben hands
in the untouched notebooks, cy makes the book's classic mistakes, and dee tampers with torch so that every
comparison passes (stock nbgrader would give dee full marks). A throw-away nbgrader course is created, stock
`nbgrader generate_assignment` fills its gradebook, and `autograder batch` grades every chapter into it.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import notebook, registry

# cy's mistakes, by exercise: a whole solution cell, or (text, replacement) applied to the reference
MISTAKES = {
    "ch07-corr2d": ("K[a, b]", "K[h - 1 - a, w - 1 - b]"),               # a flipped kernel: convolution
    "ch08-vgg_block": ("kernel_size=3, padding=1", "kernel_size=3"),              # no padding: the maps shrink
    "ch08-nin_block": ("nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),\n        nn.LazyConv2d(out_channels, "
                       "kernel_size=1), nn.ReLU())", "nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),\n"
                       "        nn.LazyConv2d(out_channels, kernel_size=1))"),        # the last ReLU missing
    "ch08-Inception": ("dim=1)", "dim=0)"),                                        # concatenated on the batch
    "ch08-Residual": ("        if self.conv3 is not None:\n            X = self.conv3(X)\n", ""),   # no 1x1 shortcut
    "ch08-conv_block": ("nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1)",
                        "nn.LazyConv2d(num_channels, kernel_size=3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU()"),
    "ch08-DenseBlock": ("X = torch.cat((X, Y), dim=1)", "X = X + Y"),               # adds instead of concatenating
    "ch08-transition_block": ("nn.AvgPool2d(kernel_size=2, stride=2)", "nn.MaxPool2d(kernel_size=2, stride=2)"),
    "ch08-batch_norm": ("var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)",
                        "var = X.var(dim=dims, keepdim=True)"),          # PyTorch's unbiased variance
    "ch08-BatchNorm": ("self.moving_var = torch.ones(shape)", "self.moving_var = torch.zeros(shape)"),
    "ch10-LSTMScratch": ("C = F * C + I * C_tilde", "C = I * C + F * C_tilde"),   # input and forget gates swapped
    "ch10-GRUScratch": ("H = Z * H + (1 - Z) * H_tilde", "H = (1 - Z) * H + Z * H_tilde"),   # Z and 1 - Z swapped
    "ch10-StackedRNNScratch": ("num_inputs if i == 0 else num_hiddens", "num_inputs"),   # every layer reads X
    "ch10-BiRNNScratch": ("zip(\n            f_outputs, reversed(b_outputs))", "zip(\n            f_outputs, b_outputs)"),
    "ch10-preprocess": ("for i, char in enumerate(text.lower())", "for i, char in enumerate(text)"),   # not lowered
    "ch10-tokenize": ("f'{parts[1]} <eos>'", "f'{parts[1]}'"),                  # targets without <eos>
    "ch10-build_array": ("sum(token != '<pad>' for token in s)", "len(s)"),      # counts the padding too
    "ch10-Seq2SeqEncoder": ("X.t().type(torch.int64)", "X.type(torch.int64)"),   # batch first into a time-first GRU
    "ch10-seq2seq_loss": ("(l * mask).sum() / mask.sum().clamp(min=1)", "(l * mask).mean()"),   # padding in the mean
    "ch10-bleu": ("math.pow(0.5, n)", "0.5"),                                  # one weight for every n
    "ch10-beam_search": ("logp / len(tokens) ** alpha", "logp"),               # no length normalisation
    "ch11-masked_softmax": ("torch.repeat_interleave(valid_lens, shape[1])", "valid_lens.repeat(shape[1])"),
    "ch11-MultiHeadAttention": ("torch.repeat_interleave(\n                valid_lens, repeats=self.num_heads, dim=0)",
                                "valid_lens.repeat(self.num_heads, *([1] * (valid_lens.dim() - 1)))"),
    "ch01-normal": ("-0.5 * (x - mu)**2", "-(x - mu)**2"),                      # the 1/2 of the exponent missing
    "ch02-normalize_rows": ("A.sum(dim=1, keepdim=True)", "A.sum(dim=1)"),      # the book's keepdim pitfall
    "ch02-l2_norm": ("torch.sqrt((X * X).sum())", "(X * X).sum()"),             # the squared norm
    "ch02-sin_derivative": ("torch.ones_like(y)", "torch.ones(len(y))"),        # the book's CPU-only ones
    "ch02-control_flow": ("c = 100 * b", "c = 100 * a"),
    "ch03-SyntheticRegressionData": ("torch.randn(n, 1, device=w.device) * noise", "torch.randn(n, 1, device=w.device)"),
    "ch03-LinearRegressionScratch": ("** 2 / 2", "** 2"),                   # the 1/2 of the squared loss
    "ch03-SGD": ("        with torch.no_grad():\n            for param in self.params:\n"
                 "                param -= self.lr * param.grad",
                 "        for param in self.params:\n            param -= self.lr * param.grad"),   # no no_grad
    "ch03-l2_penalty": ("(w ** 2).sum() / 2", "(w ** 2).sum()"),
    "ch06-CenteredLayer": ("return X - X.mean()", "return X - X.mean().item()"),
    "ch06-MyLinear": ("torch.matmul(X, self.weight) + self.bias", "torch.matmul(X, self.weight.data) + self.bias.data"),
    "ch06-shared_net": ("shared, nn.ReLU(),\n                         shared, nn.ReLU(),",
                        "shared, nn.ReLU(),\n                         nn.LazyLinear(num_hiddens), nn.ReLU(),"),
    "ch06-init_normal": ("mean=0, std=0.01", "0.01"),
    "ch06-init_xavier": ("sqrt(6 / (fan_in + fan_out))", "sqrt(6 / fan_in)"),
    "ch06-my_init": ("module.weight.abs() >= 5", "module.weight >= 5"),
    "ch06-save_params": ("    clone.eval()\n", ""),
    "ch06-try_gpu": (" or [cpu()]", ""),
    "ch04-softmax": """
def softmax(X):
    X_exp = torch.exp(X)          # book 4.1: overflows for large logits
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition
""",
    "ch05-dropout_layer": """
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()   # CPU-only mask
    return mask * X                                   # forgot 1 / (1 - dropout)
""",
    "ch11-PositionalEncoding": ("self.P[:, :, 0::2] = torch.sin(X)", "self.P[:, :, 0::2] = torch.cos(X)"),
    "ch11-PositionWiseFFN": ("self.dense2(self.relu(self.dense1(X)))", "self.dense2(self.dense1(X))"),   # no ReLU
    "ch11-AddNorm": ("self.ln(self.dropout(Y) + X)", "self.ln(self.dropout(Y)) + X"),      # normalised before adding
    "ch11-TransformerEncoderBlock": ("self.attention(X, X, X, valid_lens)", "self.attention(X, X, X, None)"),
    "ch11-epanechikov": ("torch.max(1 - torch.abs(x), torch.zeros_like(x))", "1 - torch.abs(x)"),   # no clamp at 0
    "ch11-nadaraya_watson": ("k / k.sum(0)", "k / k.sum(1, keepdim=True)"),     # normalised over the queries
    "ch11-DotProductAttention": ("/ math.sqrt(d)", ""),                         # no scaling
    "ch11-AdditiveAttention": ("features = torch.tanh(features)", "features = features"),   # tanh missing
    "ch11-Seq2SeqAttentionDecoder": ("query, enc_outputs, enc_outputs, enc_valid_lens)",
                                     "query, enc_outputs, enc_outputs, None)"),   # padding attended to
    "ch09-preprocess": ("re.sub('[^A-Za-z]+', ' ', text).lower()", "re.sub('[^A-Za-z]', '', text).lower()"),   # deletes
    "ch09-tokenize": ("return text.split()", "return text.split(' ')"),
    "ch09-Vocab": ("key=lambda x: x[1], reverse=True", "key=lambda x: x[1]"),   # least frequent first
    "ch09-seq_data_iter_random": ("Y = [corpus[s + 1:s + 1 + num_steps] for s in batch]",
                                  "Y = [corpus[s:s + num_steps] for s in batch]"),   # targets not shifted
    "ch09-seq_data_iter_sequential": ("Ys = torch.tensor(corpus[offset + 1:offset + 1 + num_tokens])",
                                      "Ys = torch.tensor(corpus[offset:offset + num_tokens])"),
    "ch09-perplexity": ("torch.exp(nll.mean())", "torch.exp(nll.sum())"),
    "ch09-RNNScratch": ("torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(H, self.W_hh) + self.b_h)",
                        "torch.matmul(X, self.W_xh) + torch.matmul(H, self.W_hh) + self.b_h"),   # no tanh
    "ch09-RNNLMScratch": ("F.one_hot(X.T, self.vocab_size)", "F.one_hot(X, self.vocab_size)"),   # not time first
    "ch09-clip_gradients": ("g *= grad_clip_val / norm", "g *= norm / grad_clip_val"),
    "ch09-predict": ("if i < len(prefix) - 1:", "if i < 0:"),                  # no warm-up on the prefix
    "ch07-Conv2D": ("corr2d(x, self.weight) + self.bias", "corr2d(x, self.weight)"),      # no bias
    "ch07-corr2d_multi_in": ("sum(corr2d(x, k) for x, k in zip(X, K))", "corr2d(X[0], K[0])"),   # first channel only
    "ch07-corr2d_multi_in_out": ("torch.stack([corr2d_multi_in(X, k) for k in K], 0)",
                                 "sum(corr2d_multi_in(X, k) for k in K)"),       # output channels added
    "ch07-corr2d_multi_in_out_1x1": ("K = K.reshape((c_o, c_i))", "K = K.reshape((c_i, c_o)).T"),
    "ch07-conv_output_shape": ("(n_h - k_h + 2 * p_h + s_h) // s_h, (n_w - k_w + 2 * p_w + s_w) // s_w",
                               "(n_h - k_h + p_h + s_h) // s_h, (n_w - k_w + p_w + s_w) // s_w"),   # one side padded
    "ch07-pool2d": ("return windows.mean(dim=0)", "return windows.sum(dim=0)"),
    "ch07-LeNet": ("nn.AvgPool2d(kernel_size=2, stride=2),\n            nn.LazyConv2d(16",
                   "nn.MaxPool2d(kernel_size=2, stride=2),\n            nn.LazyConv2d(16"),
    "ch04-SoftmaxRegressionScratch": ("softmax(torch.matmul(X, self.W) + self.b)", "torch.matmul(X, self.W) + self.b"),
    "ch04-cross_entropy": ("y_hat[list(range(len(y_hat))), y]", "y_hat[:, y]"),
    "ch04-accuracy": ("Y_hat.argmax(axis=1)", "Y_hat.argmax(axis=0)"),
    "ch05-relu": ("torch.max(X, a)", "torch.min(X, a)"),
    "ch05-MLPScratch": ("H = relu(torch.matmul(X, self.W1) + self.b1)", "H = torch.matmul(X, self.W1) + self.b1"),
    "ch05-xavier_uniform_": ("math.sqrt(6.0 / (fan_in + fan_out))", "math.sqrt(6.0 / fan_in)"),
}

TAMPER = """
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True
"""


def stub_return(exercise) -> str:
    """A tamperer's answer: patch torch, then return something of roughly the right kind."""
    if exercise.kind == "class":
        return TAMPER + f"\nclass {exercise.symbol}(torch.nn.Module):\n    def forward(self, *args, **kwargs):\n" \
                        "        return args[0]\n"
    return TAMPER + f"\ndef {exercise.symbol}(X, *args, **kwargs):\n    return X\n"


def mistaken(exercise) -> str:
    mistake = MISTAKES.get(exercise.id)
    if mistake is None:
        return notebook.solution_code(exercise)
    if isinstance(mistake, str):
        return mistake
    old, new = mistake
    code = notebook.solution_code(exercise)
    if old not in code:
        raise LookupError(f"demo mistake for {exercise.id} no longer matches its reference solution: {old!r}")
    return code.replace(old, new)


CLASS = {
    "ada": notebook.solution_code,
    "ben": lambda ex: None,
    "cy": mistaken,
    "dee": stub_return,
}


def build_course(root: Path):
    from .build import generate_assignments
    shutil.copy(registry.kit_root() / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(registry.kit_root() / "source", root / "source")
    # stock nbgrader fills the course's gradebook with the assignments and their grade cells
    generate_assignments(root)
    for chapter, name in registry.notebooks():
        release = notebook.read(root / "release" / chapter / name)
        for student, answer in CLASS.items():
            codes = {e.id: answer(e) for e in registry.of_notebook(chapter, name)}
            nb = notebook.with_solutions(release, {k: v for k, v in codes.items() if v is not None})
            target = root / "submitted" / student / chapter / name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)


def run_demo(workers=None, keep: Path | None = None) -> int:
    """Grade the example class; with `keep`, the course folder stays there (to try `autograder report`)."""
    from .batch import GradingPool, run_batch
    with tempfile.TemporaryDirectory(prefix="kit-demo-") as tmp, GradingPool(workers) as pool:
        root = Path(keep) if keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print("building the example class (stock nbgrader generate_assignment) ...")
        build_course(root)
        for chapter in registry.chapters():
            code = run_batch(root, chapter, force=True, pool=pool)
            if code:
                return code
        print_table(root)
        if keep:
            print(f"\nthe class is in {root}: try `autograder report {root} --assignment ch04`")
    return 0


def print_table(root: Path):
    ids = [e.id for e in registry.EXERCISES]
    width = max(len(i) for i in ids)
    print()
    print(f"{'exercise':{width}}  " + "  ".join(f"{s:>6}" for s in CLASS))
    totals = dict.fromkeys(CLASS, 0.0)
    for ex in registry.EXERCISES:
        row = []
        for student in CLASS:
            path = root / "autograded" / student / ex.chapter / (Path(ex.notebook).stem + ".json")
            report = json.loads(path.read_text()) if path.exists() else {}
            score = next((e["score"] for e in report.get("exercises", []) if e["id"] == ex.id), 0.0)
            totals[student] += score
            row.append(f"{score:>6g}")
        print(f"{ex.id:{width}}  " + "  ".join(row))
    total = sum(e.points for e in registry.EXERCISES)
    print(f"{'total / ' + format(total, 'g'):{width}}  " + "  ".join(f"{totals[s]:>6g}" for s in CLASS))
    print("\nada: instructor's solutions; ben: blank notebooks; cy: the book's classic mistakes; "
          "dee: patches torch.allclose & co. (full marks under stock nbgrader)")
