"""The registry is the one list of exercises: everything that lists them agrees with it."""
import importlib

from autograder import registry
from autograder.cli import markdown_table


def test_readme_table_is_the_registry():
    readme = (registry.kit_root() / "README.md").read_text()
    assert markdown_table() in readme, "README's exercises table is stale: paste `autograder list --markdown`"


def test_course_plan_is_the_registry():
    from autograder.syllabus import syllabus_markdown
    course = registry.kit_root() / "COURSE.md"
    assert course.exists() and course.read_text() == syllabus_markdown(), \
        "COURSE.md is stale: run `autograder syllabus --write` (autograder build does it too)"


def test_builds_on_counts_calls_not_words():
    from autograder.syllabus import rows
    on = {r["lesson"]: r["builds_on"] for r in rows()}
    assert "ch11-MultiHeadAttention" in on["transformer.ipynb"]    # the block calls it (given in the lesson)
    assert "ch05-relu" not in on["layers_and_parameters.ipynb"]    # named only in a message, and F.relu is not it
    assert "ch09-preprocess" not in on["machine_translation.ipynb"]  # its own preprocess, of the same name


def test_every_exercise_has_a_grader_a_lesson_and_a_proof():
    root = registry.kit_root()
    for ex in registry.EXERCISES:
        assert ex.id == f"{ex.chapter}-{ex.symbol}"
        importlib.import_module(ex.grader_module)
        assert (root / "source" / ex.chapter / ex.notebook).exists()
        assert (root / "tests" / "graders" / f"test_{ex.grader}.py").exists(), f"no proof file for {ex.id}"


MIN_MUTANTS = 5


def test_every_proof_file_has_enough_realistic_mistakes():
    """The bar: besides the reference (full marks) and the stub (zero), at least five buggy variants."""
    short = []
    for ex in registry.EXERCISES:
        proof = importlib.import_module(f"tests.graders.test_{ex.grader}")
        if len(getattr(proof, "MUTANTS", {})) < MIN_MUTANTS:
            short.append(f"{ex.id}: {len(getattr(proof, 'MUTANTS', {}))} in tests/graders/test_{ex.grader}.py")
    assert not short, f"each proof file needs at least {MIN_MUTANTS} MUTANTS: " + "; ".join(short)
