"""Template-build progress is logged at info, and shown at hutch serve's default level (warning) too."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from hutchd import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logs.builds.level, logging.getLogger("hutchd").level)
    yield
    root.handlers[:], _, _, _ = saved
    root.setLevel(saved[1])
    logs.builds.setLevel(saved[2])
    logging.getLogger("hutchd").setLevel(saved[3])


@pytest.mark.parametrize("level", ["warning", "info"])
def test_build_progress_shows_at_info(level: str, capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    logs.setup(level)
    logs.build_progress("debootstrap: I: Retrieving Packages")
    logging.getLogger("hutchd.pool").info("an info line of another logger")
    err = capsys.readouterr().err
    assert "level=info logger=hutchd.templates" in err and "Retrieving Packages" in err
    assert ("an info line" in err) == (level == "info")


def test_error_level_hides_build_progress(capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    logs.setup("error")
    logs.build_progress("debootstrap: quiet")
    assert "quiet" not in capsys.readouterr().err
