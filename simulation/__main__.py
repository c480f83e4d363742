"""``python -m simulation`` runs the command line."""

import sys

try:
    from simulation.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: nothing has been written yet
    sys.exit(130)

main()
