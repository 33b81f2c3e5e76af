"""Which replica a server is: the host of the rows it owns, and the process whose work a row is.

With the local runtime a sandbox's processes, a volume's image and a build's work live on one host,
in one data dir: the data dir's ID (made once, kept in it) names the replica that may act on them (the
rows' `owner`), and stays the same across restarts so that a restarted server adopts its sandboxes again.

Work a process leaves half done when it dies (a `starting` sandbox, a warm one, a running build) is
marked with the process's own ID (the rows' `replica`), which it registers in `replicas` at start and
keeps alive with a heartbeat: replicas that share a data dir (Kubernetes) and so an owner never clean
up each other's live work. A replica silent for `DEAD_AFTER` of its heartbeat intervals is dead; a
live one claims it (deleting its registration, which only one can) and cleans up its leftovers in the
same transaction. A server whose data dir is its own takes every earlier process of that data dir for
its predecessor at start, dead or not yet silent, as it always did.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from hutchd.http.errors import ApiError
from hutchd.store.db import Database, Row, now

log = logging.getLogger("hutchd.replicas")

ID_FILE = "replica-id"
OWNED_TABLES = ("sandboxes", "volumes", "template_builds")
HEARTBEAT_S = 5.0
DEAD_AFTER = 4
"""Heartbeats a replica may miss before it counts as dead (a stalled event loop, a slow database)."""
_SILENT = "seen_at + ? * heartbeat_s < ?"


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


class Registry:
    """This server process's registration in `replicas`, and the others' liveness."""

    def __init__(self, db: Database, owner: str, *, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._db = db
        self.owner = owner
        self.id = "p-" + secrets.token_hex(6)
        self.heartbeat_s = heartbeat_s
        self._last_beat = self._steady_since = 0.0

    def register(self, *, own_data_dir: bool) -> list[str]:
        """Register this process; the IDs whose leftovers are its own to handle now: the earlier processes
        of its data dir when it has the data dir to itself, and the owner's own ID, which its rows of
        before replicas registered are given."""
        with self._db.tx():
            for table, unfinished in (
                ("sandboxes", "state IN ('starting', 'pooled')"),
                ("template_builds", "status = 'building'"),
            ):
                self._db.run(
                    f"UPDATE {table} SET replica = owner WHERE replica IS NULL AND owner = ? AND {unfinished}",
                    self.owner,
                )
            earlier = []
            if own_data_dir:
                earlier = [
                    r["id"] for r in self._db.returning("DELETE FROM replicas WHERE owner = ? RETURNING id", self.owner)
                ]
            self._insert()
        return [self.owner, *earlier]

    def _insert(self) -> None:
        t = self._last_beat = self._steady_since = now()
        self._db.run(
            "INSERT INTO replicas (id, owner, started_at, seen_at, heartbeat_s) VALUES (?, ?, ?, ?, ?)",
            self.id, self.owner, t, t, self.heartbeat_s,
        )  # fmt: skip

    def beat(self) -> bool:
        """Refresh this process's heartbeat; a registration another replica took (this process was silent
        too long, and its leftovers were cleaned up) is made again. Whether this replica may take others
        for dead: only once it has itself beaten without a gap for `DEAD_AFTER` intervals, so that after
        the database was out of reach (every replica's heartbeat is old then) the others beat again
        before anyone is judged."""
        t = now()
        if not self._db.run("UPDATE replicas SET seen_at = ? WHERE id = ?", t, self.id):
            log.error("replica %s was taken for dead (silent too long); registering it again", self.id)
            self._insert()
        elif t - self._last_beat > DEAD_AFTER * self.heartbeat_s:
            self._steady_since = t
        self._last_beat = t
        return t - self._steady_since >= DEAD_AFTER * self.heartbeat_s

    def dead(self) -> list[Row]:
        """The other replicas (`id`, `owner`) silent for `DEAD_AFTER` of their own heartbeat intervals."""
        return self._db.all(f"SELECT id, owner FROM replicas WHERE {_SILENT} AND id != ?", DEAD_AFTER, now(), self.id)

    def live(self) -> set[str]:
        """The registered replicas (this one too) not silent for `DEAD_AFTER` of their heartbeat intervals."""
        return {r["id"] for r in self._db.all(f"SELECT id FROM replicas WHERE NOT ({_SILENT})", DEAD_AFTER, now())}

    def claim(self, replica_id: str) -> bool:
        """Take a dead replica's leftovers (inside the transaction that handles them): only one claimer
        deletes its registration, and only while it is still silent."""
        return self._db.run(f"DELETE FROM replicas WHERE id = ? AND {_SILENT}", replica_id, DEAD_AFTER, now()) > 0


def abandon_sandboxes(db: Database, replica_id: str) -> list[str]:
    """In a claim's transaction: the `starting` sandboxes of a dead replica recorded killed (their
    Idempotency-Keys freed: a retry makes a new sandbox), its warm ones' rows deleted; their IDs, to
    destroy."""
    killed = db.returning(
        "UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE replica = ? AND state = 'starting' RETURNING id",
        now(), replica_id,
    )  # fmt: skip
    for r in killed:
        db.run("DELETE FROM idempotency WHERE sandbox_id = ?", r["id"])
    pooled = db.returning("DELETE FROM sandboxes WHERE replica = ? AND state = 'pooled' RETURNING id", replica_id)
    return [r["id"] for r in (*killed, *pooled)]
