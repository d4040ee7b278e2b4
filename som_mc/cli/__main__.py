"""``python -m som_mc.cli``."""

import sys

from som_mc.cli import main

sys.exit(main())
