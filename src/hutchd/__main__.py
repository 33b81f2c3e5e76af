"""`python -m hutchd serve ...` is the same as `hutch serve ...`."""

from __future__ import annotations

from hutch.cli import main

main(prog_name="hutch")
