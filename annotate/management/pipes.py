"""Standard output of the management commands that write to a pipe (`export_corpus -o -`, `predict ... -`)."""
from __future__ import annotations

import os
import sys


def stdout_reader_left() -> None:
    """Call on a BrokenPipeError from writing to standard output: the reader stopped
    (`| head -n 1`), which is no error of ours, so the command ends quietly.

    Python's documented way out: standard output now goes to /dev/null, so that the
    interpreter's own flush at exit does not raise again (a traceback and exit status 120)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
