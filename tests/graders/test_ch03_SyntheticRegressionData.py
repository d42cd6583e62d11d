"""ch03-SyntheticRegressionData's grader: reference full marks, stub zero, every realistic mistake loses points."""
from .proving import standard_proofs

EX = "ch03-SyntheticRegressionData"

# name -> (a whole solution cell with one realistic mistake, test-name prefixes that must fail, words that the
# message must contain). At least five; where the book's own listing is correct, prove it gets full marks.
MUTANTS = {
}

test_reference_gets_full_marks, test_stub_gets_zero, test_mutant_loses_points = standard_proofs(EX, MUTANTS)
