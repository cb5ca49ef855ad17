"""``python -m navtalk_desktop``: the same entry point as the ``navtalk-desktop`` script."""

import sys

from navtalk_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
