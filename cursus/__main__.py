"""Allow ``python -m cursus``."""

from cursus.cli import main

main()
