"""`python -m tui` does what the `tunedeck` command does."""

import sys

from tui.cli import main

sys.exit(main())
