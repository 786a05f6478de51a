"""``python -m hubplan ...`` runs the ``hubplan`` command."""

import sys

from hubplan.cli.main import main

sys.exit(main())
