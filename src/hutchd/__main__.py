"""`python -m hutchd serve ...` is the same as `hutch serve ...`."""

from __future__ import annotations

from hutchd.cli import main

raise SystemExit(main())
