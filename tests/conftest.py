"""Settings every test run shares."""

from __future__ import annotations

import os

# Each integration suite has its own data dir; they share one build of each template (hard links),
# so a fresh machine runs debootstrap once per recipe, not once per suite.
os.environ.setdefault("HUTCH_TEMPLATE_CACHE", "/var/tmp/hutch-template-cache")
