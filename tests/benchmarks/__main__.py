"""``python -m tests.benchmarks``: run the benchmark suite."""

import sys

from tests.benchmarks.cli import main

sys.exit(main())
