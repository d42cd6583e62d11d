"""Code shared by several graders of one chapter (e.g. init.py: the ch06 init functions' probe and statistics)."""
