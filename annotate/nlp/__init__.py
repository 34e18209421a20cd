"""Pre-annotation: spaCy components that find attributions and suggest stances.

Nothing here imports Django: the same code runs in the web app, the `predict`
command and the benchmarks.
"""
