"""``python -m som_mc.cli``."""

from som_mc.cli import entry

entry()
