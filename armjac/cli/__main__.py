"""``python -m armjac.cli``: the same as the ``armjac`` command."""

import sys

from armjac.cli import main

sys.exit(main())
