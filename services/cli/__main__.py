"""``python -m services.cli``: the same as the ``kerjasama`` script."""

from services.cli import main

raise SystemExit(main())
