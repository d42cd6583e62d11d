"""The one list of exercises (and written questions). The CLI, the graders' runner, the notebook checks,
the docs and the syllabus read it; nothing else lists them."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# what an exercise may be allowed beyond the source screen's defaults (see static.py)
ALLOWANCES = {"files": "reads and writes files (in the sandbox's scratch folder only)"}


@dataclass(frozen=True)
class Exercise:
    chapter: str             # nbgrader assignment name, chNN (the book's chapter)
    symbol: str              # the book's name for what the student writes
    notebook: str            # file name under source/<chapter>/
    book: str                # book section(s), for students and instructors
    points: float = 10       # the exercise's weight in the gradebook
    kind: str = "function"   # or "class"
    allow: tuple = ()        # ALLOWANCES this exercise needs (e.g. saving parameters to a file)

    def __post_init__(self):
        assert self.kind in ("function", "class"), self.kind
        assert set(self.allow) <= set(ALLOWANCES), self.allow

    @property
    def id(self) -> str:
        """chNN-<symbol>: the solution cell's nbgrader grade_id (grade_ids allow no dots)."""
        return f"{self.chapter}-{self.symbol}"

    @property
    def grader(self) -> str:
        """The grader module under autograder.graders, and (with test_) its proof under tests/graders."""
        return f"{self.chapter}_{self.symbol}"

    @property
    def tests_grade_id(self) -> str:
        return f"{self.id}-tests"

    @property
    def check_grade_id(self) -> str:
        """The visible check cell: students run it, graders do not."""
        return f"{self.id}-check"

    @property
    def grader_module(self) -> str:
        return f"autograder.graders.{self.grader}"


@dataclass(frozen=True)
class Question:
    """A written answer, graded by hand in nbgrader's formgrader: a markdown solution cell whose solution
    region holds the model answer and the rubric (removed from release/, shown in solutions/)."""
    chapter: str
    slug: str
    notebook: str
    book: str
    points: float = 2

    @property
    def id(self) -> str:
        return f"{self.chapter}-q-{self.slug}"


def ex(chapter, symbol, notebook, book, **kw) -> Exercise:
    return Exercise(chapter, symbol, notebook, book, **kw)


# In book order, one block per chapter (a lesson's exercises in the order the lesson asks for them).
EXERCISES: tuple[Exercise, ...] = (
    # -- ch01 Introduction ---------------------------------------------------------------------------------
    ex("ch01", "normal", "introduction.ipynb", "3.1.3"),

    # -- ch02 Preliminaries --------------------------------------------------------------------------------
    ex("ch02", "normalize_rows", "tensors.ipynb", "2.1.4, 2.3.7"),
    ex("ch02", "l2_norm", "tensors.ipynb", "2.3.11"),
    ex("ch02", "sin_derivative", "autograd.ipynb", "2.5.2, 2.5 ex. 4"),
    ex("ch02", "control_flow", "autograd.ipynb", "2.5.4"),

    # -- ch03 Linear neural networks for regression --------------------------------------------------------
    ex("ch03", "SyntheticRegressionData", "linear_regression.ipynb", "3.3", kind="class"),
    ex("ch03", "LinearRegressionScratch", "linear_regression.ipynb", "3.4.1, 3.4.2", kind="class"),
    ex("ch03", "SGD", "linear_regression.ipynb", "3.4.3", kind="class"),
    ex("ch03", "l2_penalty", "weight_decay.ipynb", "3.7.3"),

    # -- ch04 Linear neural networks for classification ----------------------------------------------------
    ex("ch04", "softmax", "softmax_regression.ipynb", "4.1, 4.4, 4.5.2"),
    ex("ch04", "SoftmaxRegressionScratch", "softmax_regression_scratch.ipynb", "4.4.2", kind="class"),
    ex("ch04", "cross_entropy", "softmax_regression_scratch.ipynb", "4.4.3"),
    ex("ch04", "accuracy", "softmax_regression_scratch.ipynb", "4.3.2"),

    # -- ch05 Multilayer perceptrons -----------------------------------------------------------------------
    ex("ch05", "relu", "mlp.ipynb", "5.1.2, 5.2.1"),
    ex("ch05", "MLPScratch", "mlp.ipynb", "5.2.1", kind="class"),
    ex("ch05", "xavier_uniform_", "mlp.ipynb", "5.4.2"),
    ex("ch05", "dropout_layer", "dropout.ipynb", "5.6"),

    # -- ch06 Builders' guide ------------------------------------------------------------------------------
    ex("ch06", "CenteredLayer", "layers_and_parameters.ipynb", "6.5.1", kind="class"),
    ex("ch06", "MyLinear", "layers_and_parameters.ipynb", "6.5.2", kind="class"),
    ex("ch06", "shared_net", "layers_and_parameters.ipynb", "6.2.3"),
    ex("ch06", "init_normal", "initialization.ipynb", "6.3.1"),
    ex("ch06", "init_xavier", "initialization.ipynb", "6.3.1"),
    ex("ch06", "my_init", "initialization.ipynb", "6.3.2"),
    ex("ch06", "save_params", "io_and_gpus.ipynb", "6.6", allow=("files",)),
    ex("ch06", "try_gpu", "io_and_gpus.ipynb", "6.7"),

    # -- ch07 Convolutional neural networks ----------------------------------------------------------------
    ex("ch07", "corr2d", "convolutions.ipynb", "7.2"),
    ex("ch07", "Conv2D", "convolutions.ipynb", "7.2.2", kind="class"),
    ex("ch07", "corr2d_multi_in", "convolutions.ipynb", "7.4.1"),
    ex("ch07", "corr2d_multi_in_out", "convolutions.ipynb", "7.4.2"),
    ex("ch07", "corr2d_multi_in_out_1x1", "convolutions.ipynb", "7.4.3"),
    ex("ch07", "conv_output_shape", "padding_and_strides.ipynb", "7.3"),
    ex("ch07", "pool2d", "pooling.ipynb", "7.5.1"),
    ex("ch07", "LeNet", "lenet.ipynb", "7.6", kind="class"),

    # -- ch08 Modern convolutional neural networks ---------------------------------------------------------
    ex("ch08", "vgg_block", "vgg_nin.ipynb", "8.2.1"),
    ex("ch08", "nin_block", "vgg_nin.ipynb", "8.3.1"),
    ex("ch08", "Inception", "googlenet.ipynb", "8.4.1", kind="class"),
    ex("ch08", "batch_norm", "batch_norm.ipynb", "8.5"),
    ex("ch08", "BatchNorm", "batch_norm.ipynb", "8.5.3", kind="class"),
    ex("ch08", "Residual", "resnet.ipynb", "8.6.2", kind="class"),
    ex("ch08", "conv_block", "densenet.ipynb", "8.7.2"),
    ex("ch08", "DenseBlock", "densenet.ipynb", "8.7.2", kind="class"),
    ex("ch08", "transition_block", "densenet.ipynb", "8.7.3"),

    # -- ch09 Recurrent neural networks --------------------------------------------------------------------
    ex("ch09", "preprocess", "text_preprocessing.ipynb", "9.2.1"),
    ex("ch09", "tokenize", "text_preprocessing.ipynb", "9.2.2"),
    ex("ch09", "Vocab", "text_preprocessing.ipynb", "9.2.3", kind="class"),
    ex("ch09", "seq_data_iter_random", "language_models.ipynb", "9.3.3"),
    ex("ch09", "seq_data_iter_sequential", "language_models.ipynb", "9.3.3"),
    ex("ch09", "perplexity", "language_models.ipynb", "9.3.2"),
    ex("ch09", "RNNScratch", "rnn_scratch.ipynb", "9.5.1", kind="class"),
    ex("ch09", "RNNLMScratch", "rnn_scratch.ipynb", "9.5.2", kind="class"),
    ex("ch09", "clip_gradients", "rnn_scratch.ipynb", "9.5.3"),
    ex("ch09", "predict", "rnn_scratch.ipynb", "9.5.5"),

    # -- ch10 Modern recurrent neural networks -------------------------------------------------------------
    ex("ch10", "LSTMScratch", "lstm.ipynb", "10.1", kind="class"),
    ex("ch10", "GRUScratch", "gru.ipynb", "10.2", kind="class"),
    ex("ch10", "StackedRNNScratch", "deep_and_bidirectional.ipynb", "10.3", kind="class"),
    ex("ch10", "BiRNNScratch", "deep_and_bidirectional.ipynb", "10.4", kind="class"),
    ex("ch10", "preprocess", "machine_translation.ipynb", "10.5.1"),
    ex("ch10", "tokenize", "machine_translation.ipynb", "10.5.2"),
    ex("ch10", "build_array", "machine_translation.ipynb", "10.5.3"),
    ex("ch10", "Seq2SeqEncoder", "seq2seq.ipynb", "10.7.2", kind="class"),
    ex("ch10", "seq2seq_loss", "seq2seq.ipynb", "10.7.5"),
    ex("ch10", "bleu", "seq2seq.ipynb", "10.7.8"),
    ex("ch10", "beam_search", "beam_search.ipynb", "10.8.3"),

    # -- ch11 Attention mechanisms and Transformers --------------------------------------------------------
    ex("ch11", "epanechikov", "attention_pooling.ipynb", "11.2"),
    ex("ch11", "nadaraya_watson", "attention_pooling.ipynb", "11.2"),
    ex("ch11", "masked_softmax", "attention.ipynb", "11.3"),
    ex("ch11", "MultiHeadAttention", "attention.ipynb", "11.5", kind="class"),
    ex("ch11", "DotProductAttention", "attention_scoring.ipynb", "11.3.3", kind="class"),
    ex("ch11", "AdditiveAttention", "attention_scoring.ipynb", "11.3.4", kind="class"),
    ex("ch11", "Seq2SeqAttentionDecoder", "attention_scoring.ipynb", "11.4", kind="class"),
    ex("ch11", "PositionalEncoding", "transformer.ipynb", "11.6.3", kind="class"),
    ex("ch11", "PositionWiseFFN", "transformer.ipynb", "11.7.2", kind="class"),
    ex("ch11", "AddNorm", "transformer.ipynb", "11.7.3", kind="class"),
    ex("ch11", "TransformerEncoderBlock", "transformer.ipynb", "11.7.4", kind="class"),
)

# Written answers, graded by hand (nbgrader's formgrader), in book order.
QUESTIONS: tuple[Question, ...] = (
    # -- ch01 ----------------------------------------------------------------------------------------------
    Question("ch01", "peak_height", "introduction.ipynb", "3.1.3"),

    # -- ch02 ----------------------------------------------------------------------------------------------
    Question("ch02", "sum_without_keepdim", "tensors.ipynb", "2.3 ex. 6"),
    Question("ch02", "norm_overflow", "tensors.ipynb", "2.3.11"),
    Question("ch02", "control_flow_gradient", "autograd.ipynb", "2.5.4, 2.5 ex. 3", points=3),
    Question("ch02", "backward_twice", "autograd.ipynb", "2.5 ex. 2"),

    # -- ch03 ----------------------------------------------------------------------------------------------
    Question("ch03", "half-squared-loss", "linear_regression.ipynb", "3.1.1, 3.4.2"),
    Question("ch03", "shuffle", "linear_regression.ipynb", "3.3"),
    Question("ch03", "weight-decay-plot", "weight_decay.ipynb", "3.7"),

    # -- ch04 ----------------------------------------------------------------------------------------------
    Question("ch04", "log-of-softmax", "softmax_regression_scratch.ipynb", "4.4.3, 4.5.2"),
    Question("ch04", "train-on-accuracy", "softmax_regression_scratch.ipynb", "4.3.2"),

    # -- ch05 ----------------------------------------------------------------------------------------------
    Question("ch05", "why-nonlinearity", "mlp.ipynb", "5.1.1"),
    Question("ch05", "xavier-variance", "mlp.ipynb", "5.4.2"),
    Question("ch05", "dropout-at-test-time", "dropout.ipynb", "5.6"),

    # -- ch06 ----------------------------------------------------------------------------------------------
    Question("ch06", "tied-gradients", "layers_and_parameters.ipynb", "6.2.3"),
    Question("ch06", "data-bypasses-autograd", "layers_and_parameters.ipynb", "6.5.2"),
    Question("ch06", "constant-symmetry", "initialization.ipynb", "6.3.1, 5.4.2"),
    Question("ch06", "xavier-bound", "initialization.ipynb", "6.3.1, 5.4.2.2"),
    Question("ch06", "reuse-layers", "io_and_gpus.ipynb", "6.6"),
    Question("ch06", "gpu-checkpoint", "io_and_gpus.ipynb", "6.6, 6.7"),

    # -- ch07 ----------------------------------------------------------------------------------------------
    Question("ch07", "edge-transpose", "convolutions.ipynb", "7.2.3"),
    Question("ch07", "one-by-one", "convolutions.ipynb", "7.4.3"),
    Question("ch07", "odd-kernels", "padding_and_strides.ipynb", "7.3"),
    Question("ch07", "max-vs-avg", "pooling.ipynb", "7.5"),
    Question("ch07", "lenet-parameters", "lenet.ipynb", "7.6"),
    Question("ch07", "sigmoid-training", "lenet.ipynb", "7.6"),

    # -- ch08 ----------------------------------------------------------------------------------------------
    Question("ch08", "vgg-parameters", "vgg_nin.ipynb", "8.2, 8.3"),
    Question("ch08", "inception-reduction", "googlenet.ipynb", "8.4.1"),
    Question("ch08", "residual-identity", "resnet.ipynb", "8.6.1, 8.6.2"),
    Question("ch08", "transition-pooling", "densenet.ipynb", "8.7.3"),

    # -- ch09 ----------------------------------------------------------------------------------------------
    Question("ch09", "zipf", "text_preprocessing.ipynb", "9.2.5"),
    Question("ch09", "partitioning", "language_models.ipynb", "9.3.3"),
    Question("ch09", "perplexity", "language_models.ipynb", "9.3.2"),
    Question("ch09", "clipping", "rnn_scratch.ipynb", "9.5.3"),

    # -- ch10 ----------------------------------------------------------------------------------------------
    Question("ch10", "gru-gates", "gru.ipynb", "10.2"),
    Question("ch10", "birnn-generation", "deep_and_bidirectional.ipynb", "10.4"),
    Question("ch10", "word-tokens", "machine_translation.ipynb", "10.5"),
    Question("ch10", "padding-loss", "seq2seq.ipynb", "10.7.5"),
    Question("ch10", "bleu-design", "seq2seq.ipynb", "10.7.8"),
    Question("ch10", "exhaustive", "beam_search.ipynb", "10.8"),

    # -- ch11 ----------------------------------------------------------------------------------------------
    Question("ch11", "width-overfits", "attention_pooling.ipynb", "11.2 (exercise 2)"),
    Question("ch11", "unit-sphere", "attention_pooling.ipynb", "11.2 (exercise 3), 11.3"),
    Question("ch11", "scoring-choices", "attention_scoring.ipynb", "11.3.1"),
    Question("ch11", "bahdanau-query", "attention_scoring.ipynb", "11.4"),
    Question("ch11", "layer-vs-batch-norm", "transformer.ipynb", "11.7.3"),
    Question("ch11", "relative-position", "transformer.ipynb", "11.6.3, 11.7.4"),
)

BY_ID = {e.id: e for e in EXERCISES}


def get(exercise_id: str) -> Exercise:
    try:
        return BY_ID[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(BY_ID)}") from None


def chapters() -> list[str]:
    return sorted({e.chapter for e in EXERCISES})


def of_chapter(chapter: str) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter]


def of_notebook(chapter: str, notebook: str) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter and e.notebook == notebook]


def questions_of_notebook(chapter: str, notebook: str) -> list[Question]:
    return [q for q in QUESTIONS if q.chapter == chapter and q.notebook == notebook]


def notebooks() -> list[tuple[str, str]]:
    """(chapter, notebook) pairs, in registry order, each once."""
    return list(dict.fromkeys((e.chapter, e.notebook) for e in EXERCISES))


def kit_root() -> Path:
    """The course folder whose source/ holds the reference solutions (override: AUTOGRADER_COURSE)."""
    return Path(os.environ.get("AUTOGRADER_COURSE") or Path(__file__).resolve().parents[1])


def source_path(exercise: Exercise, root: Path | None = None) -> Path:
    return (root or kit_root()) / "source" / exercise.chapter / exercise.notebook
