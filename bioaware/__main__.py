"""`python -m bioaware …` is the `bioaware` command."""

import sys

from bioaware.cli import main

sys.exit(main())
