"""A data dir under /tmp is refused up front: every sandbox mounts its own /tmp over the host's, so no
sandbox could start there (seen as bwrap's "mount /tmp/root: No such file or directory")."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hutchd.runtime.errors import RuntimeUnavailable
from hutchd.runtime.runtime import Runtime


@pytest.mark.parametrize("where", ["/tmp", "/tmp/hutch-{}", "/tmp/a/../hutch-{}/data"])
def test_a_data_dir_under_tmp_is_refused_before_anything_is_made(where: str) -> None:
    data_dir = Path(where.format(secrets.token_hex(6)))
    with pytest.raises(RuntimeUnavailable, match=r"under /tmp.*/var/tmp works"):
        Runtime(data_dir, check_host=False)
    assert data_dir == Path("/tmp") or not data_dir.exists()
