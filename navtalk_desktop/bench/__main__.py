"""``python -m navtalk_desktop.bench``: run the benchmark suite."""

import sys

from navtalk_desktop.bench.cli import main

sys.exit(main())
