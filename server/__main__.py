"""`python -m server serve ...` is the same as `lossboard serve ...`."""

from server.cli.main import main

raise SystemExit(main())
