"""Hidden graders, one pytest module per exercise (named chNN_<symbol>.py, listed in the registry)."""
