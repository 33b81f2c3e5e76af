"""Which replica a server is, for the rows it owns (`owner` of sandboxes, volumes, template builds).

With the local runtime a sandbox's processes, a volume's image and a build's work live on one host,
in one data dir: the data dir's ID (made once, kept in it) names the replica that may act on them, and
stays the same across restarts so that a restarted server adopts its sandboxes again.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from hutchd.http.errors import ApiError
from hutchd.store.db import Database, Row

ID_FILE = "replica-id"
OWNED_TABLES = ("sandboxes", "volumes", "template_builds")


def data_dir_id(data_dir: Path) -> str:
    path = data_dir / ID_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    replica_id = "r-" + secrets.token_hex(6)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(replica_id + "\n")
    tmp.replace(path)
    return replica_id


def check_owner(row: Row, owner: str, what: str = "sandbox") -> None:
    """What a replica's runtime holds (a sandbox's processes and files, a volume's image) only it acts on:
    another replica answers 409 naming the owner in `Hutch-Owner`."""
    if row["owner"] != owner:
        raise ApiError(
            409,
            f"{what} {row['id']} is on replica {row['owner']}, not on this one ({owner}): send what acts on it to"
            " that replica (reading its record works on any)",
            {"Hutch-Owner": str(row["owner"])},
        )


def take_unowned(db: Database, owner: str) -> None:
    """Rows from before replicas (a SQLite file of an earlier version) belong to the one server of that file."""
    with db.tx():
        for table in OWNED_TABLES:
            db.run(f"UPDATE {table} SET owner = ? WHERE owner IS NULL", owner)
