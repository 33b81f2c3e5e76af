"""nft scripts through libnftables: a script nft refuses raises with nft's own message, and nothing is
sent to the kernel (a syntax error stops it before any netlink message)."""

from __future__ import annotations

import os

import pytest

from hutchd.runtime import nft


def test_a_refused_script_raises_nfts_message() -> None:
    fd = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        with pytest.raises(nft.NftError, match="syntax error"):
            nft.run(fd, "table inet hutch { this is not nft }\n")
    finally:
        os.close(fd)
