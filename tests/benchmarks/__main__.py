"""``python -m tests.benchmarks``: print the build speed and scale table (see tests/benchmarks/README.md)."""

from tests.benchmarks.run import main

main()
