"""Directory watches: a `ready` line, then create/write/chmod/rename/remove events as they happen."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .conftest import AgentClient


@contextmanager
def watching(client: AgentClient, path: Path, recursive: bool = False) -> Iterator[queue.Queue[dict[str, Any]]]:
    """Events of a watch on `path`, read on a thread, once the watch is in place."""
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    ready = threading.Event()
    stop = threading.Event()

    def read() -> None:
        params = {"path": str(path), "user": "root", "recursive": str(recursive).lower()}
        with client.stream("GET", "/files/watch", params=params) as reply:
            assert reply.status_code == 200
            for line in reply.iter_lines():
                event = json.loads(line)
                if event["type"] == "ready":
                    assert event == {"type": "ready", "name": None, "path": None}
                    ready.set()
                else:
                    events.put(event)
                if stop.is_set():
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(10), "no ready event"
    try:
        yield events
    finally:
        stop.set()
        (path / ".stop").touch()  # one more event wakes the reader so it can hang up
        reader.join(10)


def wait_for(events: queue.Queue[dict[str, Any]], wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Collect (type, name) pairs until every wanted one was seen, in order; fails after 10 s."""
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + 10
    remaining = list(wanted)
    while remaining:
        event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        seen.append((event["type"], event["name"]))
        if seen[-1] == remaining[0]:
            remaining.pop(0)
    return seen


def test_watch_reports_changes_in_a_directory(client: AgentClient, workdir: Path) -> None:
    with watching(client, workdir) as events:
        client.put("/files", params={"path": str(workdir / "new.txt"), "user": "root"}, content=b"x")
        (workdir / "made.txt").write_bytes(b"")
        with open(workdir / "made.txt", "ab") as file:
            file.write(b"more")
        os.chmod(workdir / "made.txt", 0o600)
        os.rename(workdir / "made.txt", workdir / "moved.txt")
        os.unlink(workdir / "moved.txt")
        wait_for(
            events,
            [
                ("create", "made.txt"),
                ("write", "made.txt"),
                ("chmod", "made.txt"),
                ("rename", "made.txt"),
                ("create", "moved.txt"),
                ("remove", "moved.txt"),
            ],
        )
        event = events.get(timeout=1) if not events.empty() else None
    assert event is None or set(event) == {"type", "name", "path"}


def test_a_written_file_shows_up_with_its_absolute_path(client: AgentClient, workdir: Path) -> None:
    with watching(client, workdir) as events:
        (workdir / "f").write_bytes(b"1")
        event = events.get(timeout=10)
    assert event == {"type": "create", "name": "f", "path": str(workdir / "f")}


def test_a_recursive_watch_follows_new_subdirectories(client: AgentClient, workdir: Path) -> None:
    with watching(client, workdir, recursive=True) as events:
        (workdir / "a" / "b" / "c").mkdir(parents=True)
        time.sleep(0.2)
        (workdir / "a" / "b" / "c" / "deep.txt").write_bytes(b"")
        seen = wait_for(events, [("create", "a/b/c/deep.txt")])
    assert {("create", "a"), ("create", "a/b"), ("create", "a/b/c")} <= set(seen)


def test_a_plain_watch_ignores_subdirectories(client: AgentClient, workdir: Path) -> None:
    (workdir / "sub").mkdir()
    with watching(client, workdir) as events:
        (workdir / "sub" / "hidden.txt").write_bytes(b"")
        (workdir / "top.txt").write_bytes(b"")
        seen = wait_for(events, [("create", "top.txt")])
    assert ("create", "sub/hidden.txt") not in seen


def test_watching_what_is_not_a_directory_fails_clearly(client: AgentClient, workdir: Path) -> None:
    client.expect_error(client.get("/files/watch", params={"path": str(workdir / "none"), "user": "root"}), 404, "none")
    (workdir / "file").write_bytes(b"")
    client.expect_error(
        client.get("/files/watch", params={"path": str(workdir / "file"), "user": "root"}), 409, "not a directory"
    )


def test_an_upload_reads_as_create_and_write_without_the_agents_temp_files(client: AgentClient, workdir: Path) -> None:
    with watching(client, workdir) as events:
        reply = client.put("/files", params={"path": str(workdir / "up.txt"), "user": "root"}, content=b"data")
        assert reply.status_code == 200, reply.text
        seen = wait_for(events, [("create", "up.txt"), ("write", "up.txt")])
        (workdir / "after").touch()
        seen += wait_for(events, [("create", "after")])
    assert not [name for _, name in seen if ".hutch-upload-" in name], seen
