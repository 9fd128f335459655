"""`python -m pcicheck`: the same as the `pcicheck` command."""

import sys

from pcicheck.cli import main

sys.exit(main())
