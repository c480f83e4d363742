"""``python -m simulation`` and the ``joint-sanctions`` console script start here.

Ctrl-C and SIGTERM are turned into ``KeyboardInterrupt(signum)`` before anything heavy is imported,
so a signal that arrives while the command line is still importing ends with status 128 + signum
and no traceback, exactly like one that arrives during a run.
"""

from __future__ import annotations

import signal
import sys


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def entry() -> None:
    """Entry point of the console script: install the signal handlers, then run the CLI."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_interrupt)
    try:
        from simulation.cli import main
    except KeyboardInterrupt as exc:  # a signal while importing: nothing has been written yet
        sys.exit(128 + (exc.args[0] if exc.args else signal.SIGINT))
    main()


if __name__ == "__main__":
    entry()
