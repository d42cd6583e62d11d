"""What several graders share. Not graders themselves: run_grader runs only the module of an exercise (by its
file), and nothing here is named test_*."""
