"""Allow ``python -m cursus``."""

from cursus.cli import run

run()
