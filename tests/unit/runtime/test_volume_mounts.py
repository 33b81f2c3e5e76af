"""Where a volume may be mounted in a sandbox (runtime/volumes.py): checked again by the runtime itself, so
a request that slipped past the API's checks still cannot cover the system or the agent."""

from __future__ import annotations

import pytest

from hutchd.runtime.volumes import check_mount_path, check_mounts


@pytest.mark.parametrize("path", ["/data", "/home/user/work", "/mnt/a b", "/srv/x", "/var/lib/app", "/root/cache"])
def test_ordinary_paths_are_accepted(path):
    assert check_mount_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "/", "", "data", "./data", "/data/", "//data", "/data//x", "/data/.", "/data/..", "/a/../etc", "/nul\0",
        "/proc", "/proc/1", "/sys/x", "/dev", "/tmp", "/tmp/x", "/opt", "/opt/hutch", "/opt/hutch/hutch_agent",
        "/usr", "/usr/local", "/etc", "/lib64", "/bin", "/run/x", "/" + "a" * 256,
    ],
)  # fmt: skip
def test_system_relative_and_odd_paths_are_refused(path):
    with pytest.raises(ValueError):
        check_mount_path(path)


def test_a_set_of_mounts_is_neither_nested_nor_twice_the_same_volume():
    check_mounts({"/a": "vol-1", "/b": "vol-2", "/ab": "vol-3"})
    with pytest.raises(ValueError, match="nested"):
        check_mounts({"/a": "vol-1", "/a/b": "vol-2"})
    with pytest.raises(ValueError, match="twice"):
        check_mounts({"/a": "vol-1", "/b": "vol-1"})
