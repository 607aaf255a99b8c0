"""`python -m hfwarden` is the same as the `hfwarden` console script."""

import sys

from hfwarden.cli import main

sys.exit(main())
