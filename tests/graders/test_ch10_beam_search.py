"""ch10-beam_search's grader: reference full marks, stub zero, every classic mistake loses points."""
import torch

from autograder.graders import ch10_beam_search as grader

from .proving import assert_full_marks, standard_proofs

EX = "ch10-beam_search"

# the book has no listing for beam search (10.8 is prose and a figure); the variants below start from the
# lesson's procedure written plainly
PLAIN = """
def beam_search(log_probs, bos, eos, k, max_steps, alpha=0.75):
    beam, candidates = [([], 0.0)], []
    for _ in range(max_steps):
        extensions = []
        for tokens, logp in beam:
            if tokens and tokens[-1] == eos:
                continue
            row = log_probs[tokens[-1] if tokens else bos].tolist()
            for j in range(len(row)):
                extensions.append((tokens + [j], logp + row[j]))
        if not extensions:
            break
        extensions.sort(key=lambda e: e[1], reverse=True)
        beam = extensions[:k]
        candidates += beam
    scored = [(tokens, logp / len(tokens) ** alpha) for tokens, logp in candidates]
    scored.sort(key=lambda c: c[1], reverse=True)
    return scored[:k]
"""

# correct alternatives: torch.topk over the (hypotheses, V) matrix of extensions; heapq with probabilities
TOPK = """
def beam_search(log_probs, bos, eos, k, max_steps, alpha=0.75):
    seqs = [[]]
    scores = torch.zeros(1, dtype=log_probs.dtype, device=log_probs.device)
    candidates = []
    for _ in range(max_steps):
        alive = [i for i, s in enumerate(seqs) if not s or s[-1] != eos]
        if not alive:
            break
        last = torch.tensor([seqs[i][-1] if seqs[i] else bos for i in alive], device=log_probs.device)
        ext = scores[alive][:, None] + log_probs[last]                  # (alive, V)
        top = torch.topk(ext.reshape(-1), min(k, ext.numel()))
        V = log_probs.shape[1]
        seqs = [seqs[alive[int(i) // V]] + [int(i) % V] for i in top.indices]
        scores = top.values
        candidates += [(s, float(v)) for s, v in zip(seqs, scores)]
    ranked = sorted(((s, v / len(s) ** alpha) for s, v in candidates), key=lambda c: -c[1])
    return ranked[:k]
"""

HEAP = """
import heapq
def beam_search(log_probs, bos, eos, k, max_steps, alpha=0.75):
    table = log_probs.detach().cpu().double().tolist()
    beam, pool = [(0.0, ())], []
    for step in range(max_steps):
        grown = [(lp + table[seq[-1] if seq else bos][j], seq + (j,))
                 for lp, seq in beam if not (seq and seq[-1] == eos) for j in range(len(table))]
        beam = heapq.nlargest(k, grown)
        pool.extend(beam)
        if not beam:
            break
    best = heapq.nlargest(k, ((lp / len(seq) ** alpha, seq) for lp, seq in pool))
    return [(list(seq), score) for score, seq in best]
"""


def variant(*replacements, code=PLAIN):
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


MUTANTS = {
    "ranked by raw log P": (variant(("logp / len(tokens) ** alpha", "logp")),
                            ["test_the_books_figure", "test_length_normalisation"], ["log p / l**alpha"]),
    "divided by L": (variant(("len(tokens) ** alpha", "len(tokens)")),
                     ["test_the_books_figure", "test_length_normalisation"], ["not by l"]),
    "only the last beam": (variant(("candidates += beam", "candidates = beam")),
                           ["test_the_books_figure", "test_length_normalisation"], ["every step's beam"]),
    "finished hypotheses extended": (variant(("            if tokens and tokens[-1] == eos:\n                continue\n",
                                              "")),
                                     ["test_eos_ends"], ["do not extend it"]),
    "<eos> not counted in L": (variant(("logp / len(tokens) ** alpha",
                                        "logp / (len(tokens) - (tokens[-1] == eos)) ** alpha if tokens != [eos] "
                                        "else logp")),
                               ["test_length_normalisation", "test_eos_ends"], ["its eos included"]),
    "best extension of each hypothesis only": (
        variant(("            for j in range(len(row)):\n                extensions.append((tokens + [j], logp + row[j]))",
                 "            if not tokens:\n"
                 "                extensions += [([j], row[j]) for j in range(len(row))]\n"
                 "            else:\n"
                 "                j = max(range(len(row)), key=lambda j: row[j])\n"
                 "                extensions.append((tokens + [j], logp + row[j]))")),
        ["test_eos_ends", "test_random_tables"], ["k greedy searches"]),
    "worst first": (variant(("scored.sort(key=lambda c: c[1], reverse=True)\n    return scored[:k]",
                             "scored.sort(key=lambda c: c[1], reverse=True)\n    return scored[:k][::-1]")),
                    ["test_the_books_figure", "test_random_tables"], ["best first"]),
    "hypotheses start with <bos>": (variant(("    beam, candidates = [([], 0.0)], []", "    beam, candidates = [([bos], 0.0)], []"),
                                         ("row = log_probs[tokens[-1] if tokens else bos].tolist()",
                                          "row = log_probs[tokens[-1]].tolist()"),
                                         ("if tokens and tokens[-1] == eos:", "if tokens[-1] == eos:")),
                                        ["test_the_books_figure", "test_random_tables"], ["bos is not a token"]),
    "one step short": (variant(("for _ in range(max_steps):", "for _ in range(max_steps - 1):")),
                       ["test_the_books_figure", "test_random_tables"], ["max_steps steps"]),
    "writes into the table": (variant(("    beam, candidates = [([], 0.0)], []",
                                       "    log_probs[:, bos] = -float('inf')   # never generate <bos>\n"
                                       "    beam, candidates = [([], 0.0)], []")),
                              ["test_table_unmodified"], ["changed log_probs"]),
}


def test_plain_procedure_gets_full_marks():
    assert_full_marks(EX, PLAIN)


def test_topk_over_the_extensions_gets_full_marks():
    assert_full_marks(EX, TOPK)


def test_heapq_gets_full_marks():
    assert_full_marks(EX, HEAP)


def test_hand_worked_results():
    """The tables' answers, worked out: the figure's beams, greedy's trap, the normalisation's winner."""
    g = grader
    fig = g.book_beam_search(g.books_figure(), g.BOS, g.EOS, 6, 3)
    assert sorted(t for t, _ in fig) == sorted([[g.A], [g.C], [g.A, g.B], [g.C, g.E], [g.A, g.B, g.D],
                                                [g.C, g.E, g.D]])
    assert [t for t, _ in g.book_beam_search(g.greedy_trap(), g.BOS, g.EOS, 2, 4)][0] == [g.C, g.D, g.EOS]
    raw = g.book_beam_search(g.length_table(), g.BOS, g.EOS, 2, 4, 0.0)
    assert raw[0][0] == [g.EOS] and abs(raw[0][1] - torch.tensor(0.4, dtype=torch.float64).log().item()) < 1e-3


def test_mistakes_differ_from_the_truth_on_the_tests_tables():
    tables = [(grader.books_figure(), grader.BOS, grader.EOS, 2, 3), (grader.length_table(), grader.BOS,
                                                                        grader.EOS, 2, 4),
              (grader.random_table(6, 0, 1.5), 5, 4, 3, 5)]
    for mistake in grader.MISTAKES:
        assert any(grader.book_beam_search(*t, mistake=mistake) != grader.book_beam_search(*t) for t in tables) or \
            mistake in ("one extension each",), mistake


test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
