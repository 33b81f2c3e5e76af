"""``sbx.git`` (E2B's Git API) against a real git server: Debian's ``git http-backend`` behind basic
auth (git_server.py), in a test network namespace named ``git.test`` through the server's hosts file
(sandboxes cannot reach the host's loopback). Sync and async."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import testhosts
from testhosts import links_left, start_hosts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "sdk"))

from sdk_fakes import Flavor

from hutch import CommandExitException, GitAuthException, GitUpstreamException, InvalidArgumentException

pytestmark = pytest.mark.integration

SERVER = Path(__file__).with_name("git_server.py")
USER, TOKEN = "alice", "tok-3f9a1c"
PUBLIC, PRIVATE = "http://git.test/public/demo.git", "http://git.test/private/secret.git"


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


class GitHost:
    def __init__(self, root: Path, host: testhosts.TestHost) -> None:
        self.root, self.host = root, host

    def log(self, repo: str, ref: str = "main") -> list[str]:
        return _git("--git-dir", str(self.root / repo), "log", "--format=%s", ref).splitlines()

    def requests(self) -> list[str]:
        path = self.root / "requests.log"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def git_host(hutch_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHost]:
    root = tmp_path_factory.mktemp("git-server")
    work = tmp_path_factory.mktemp("git-work")
    _git("init", "-q", "--initial-branch", "main", cwd=work)
    (work / "README.md").write_text("hello\n")
    _git("add", "README.md", cwd=work)
    _git("commit", "-q", "-m", "initial", cwd=work)
    for repo in ("public/demo.git", "private/secret.git"):
        _git("clone", "-q", "--bare", str(work), str(root / repo))
        _git("--git-dir", str(root / repo), "config", "http.receivepack", "true")
    started = start_hosts(["git"], [sys.executable, str(SERVER), str(root), f"{USER}:{TOKEN}"], tag="hxg")
    line = f"{started[0].address} git.test\n"
    hosts_file: Path = hutch_server.hosts_file
    hosts_file.write_text(hosts_file.read_text() + line)
    try:
        yield GitHost(root, started[0])
    finally:
        hosts_file.write_text(hosts_file.read_text().replace(line, ""))
        started[0].stop()
        assert links_left(started) == []


@pytest.fixture(params=["sync", "async"])
def sdk(request: pytest.FixtureRequest) -> Flavor:
    return Flavor(request.param)


@pytest.fixture
async def sbx(sdk: Flavor, hutch_server: Any) -> Iterator[Any]:
    sandbox = await sdk.create(timeout=600, api_key=hutch_server.api_key, domain=hutch_server.domain)
    yield sandbox
    await sdk(sandbox.kill())
    await sdk(sandbox.close())


async def test_clone_change_commit_push_pull(sdk: Flavor, sbx: Any, git_host: GitHost) -> None:
    g, repo = sbx.git, "/home/user/demo"
    new, text, feature = f"new {sdk.name}.txt", f"changed by {sdk.name}\n", f"feature-{sdk.name}"
    await sdk(g.configure_user("Agent", "agent@example.test"))
    assert await sdk(g.get_config("user.name")) == "Agent"
    await sdk(g.clone(PUBLIC, repo))
    status = await sdk(g.status(repo))
    assert (status.current_branch, status.upstream, status.ahead, status.behind) == ("main", "origin/main", 0, 0)
    assert status.is_clean and not status.detached
    assert (await sdk(g.branches(repo))).branches == ["main"]

    await sdk(sbx.files.write(f"{repo}/{new}", "x\n"))
    await sdk(sbx.files.write(f"{repo}/README.md", text))
    status = await sdk(g.status(repo))
    by_name = {f.name: f for f in status.file_status}
    assert by_name[new].status == "untracked" and by_name["README.md"].status == "modified"
    assert (status.untracked_count, status.staged_count, status.has_staged) == (1, 0, False)
    await sdk(g.add(repo, [new]))
    assert (await sdk(g.status(repo))).staged_count == 1
    await sdk(g.add(repo))
    await sdk(g.commit(repo, "second; $(touch /tmp/pwned) 'quoted'"))
    assert (await sdk(g.status(repo))).ahead == 1
    assert (await sdk(sbx.commands.run("test -e /tmp/pwned || echo safe"))).stdout == "safe\n"

    await sdk(g.push(repo))
    assert git_host.log("public/demo.git")[0] == "second; $(touch /tmp/pwned) 'quoted'"
    assert (await sdk(g.status(repo))).ahead == 0

    await sdk(g.create_branch(repo, feature))
    branches = await sdk(g.branches(repo))
    assert (sorted(branches.branches), branches.current_branch) == ([feature, "main"], feature)
    await sdk(g.commit(repo, "empty", author_name="Other", author_email="o@example.test", allow_empty=True))
    await sdk(g.push(repo, remote="origin", branch=feature))
    assert git_host.log("public/demo.git", feature)[0] == "empty"
    assert (await sdk(g.status(repo))).upstream == f"origin/{feature}"
    await sdk(g.checkout_branch(repo, "main"))
    with pytest.raises(CommandExitException):
        await sdk(g.delete_branch(repo, "nope"))
    await sdk(g.delete_branch(repo, feature, force=True))
    assert (await sdk(g.branches(repo))).branches == ["main"]

    await sdk(g.reset(repo, mode="hard", target="HEAD~1"))
    assert (await sdk(g.status(repo))).behind == 1
    await sdk(g.pull(repo))
    assert (await sdk(g.status(repo))).behind == 0
    assert await sdk(sbx.files.read(f"{repo}/README.md")) == text

    await sdk(sbx.files.write(f"{repo}/README.md", "oops\n"))
    await sdk(g.add(repo))
    await sdk(g.restore(repo, ["README.md"], staged=True))
    assert (await sdk(g.status(repo))).file_status[0].staged is False
    await sdk(g.restore(repo, ["README.md"]))
    assert (await sdk(g.status(repo))).is_clean
    await sdk(g.reset(repo, mode="soft", target="HEAD~1"))
    assert (await sdk(g.status(repo))).has_staged

    assert await sdk(g.remote_get(repo, "origin")) == PUBLIC
    assert await sdk(g.remote_get(repo, "nope")) is None
    await sdk(g.remote_add(repo, "mirror", PRIVATE))
    with pytest.raises(CommandExitException):
        await sdk(g.remote_add(repo, "mirror", PUBLIC))
    await sdk(g.remote_add(repo, "mirror", PUBLIC, fetch=True, overwrite=True))
    assert await sdk(g.remote_get(repo, "mirror")) == PUBLIC
    await sdk(g.set_config("pull.rebase", "true", scope="local", path=repo))
    assert await sdk(g.get_config("pull.rebase", scope="local", path=repo)) == "true"
    assert await sdk(g.get_config("pull.rebase")) is None

    await sdk(g.init("/home/user/fresh", initial_branch="trunk"))
    fresh = await sdk(g.status("/home/user/fresh"))
    assert (fresh.current_branch, fresh.file_status) == ("trunk", [])
    with pytest.raises(CommandExitException):
        await sdk(g.status("/home/user"))


async def test_credentials_and_errors(sdk: Flavor, sbx: Any, git_host: GitHost) -> None:
    g = sbx.git
    await sdk(g.configure_user("Agent", "agent@example.test"))
    with pytest.raises(GitAuthException, match="clone requires credentials"):
        await sdk(g.clone(PRIVATE, "/home/user/a"))
    with pytest.raises(GitAuthException):
        await sdk(g.clone(PRIVATE, "/home/user/a", username=USER, password="wrong"))
    with pytest.raises(InvalidArgumentException, match="Username is required"):
        await sdk(g.clone(PRIVATE, "/home/user/a", password=TOKEN))

    repo = "/home/user/secret"
    await sdk(g.clone(PRIVATE, repo, username=USER, password=TOKEN))
    assert f"GET /private/secret.git/info/refs {USER}:{TOKEN}" in git_host.requests()
    # The token was on no command line, in no recorded environment, and is not in the clone.
    for proc in await sdk(sbx.commands.list()):
        assert TOKEN not in proc.cmd and TOKEN not in str(proc.envs)
    config = await sdk(sbx.files.read(f"{repo}/.git/config"))
    assert TOKEN not in config and PRIVATE in config

    await sdk(g.commit(repo, "private work", allow_empty=True))
    with pytest.raises(GitAuthException, match="push requires credentials"):
        await sdk(g.push(repo))
    await sdk(g.push(repo, username=USER, password=TOKEN))
    assert git_host.log("private/secret.git")[0] == "private work"
    with pytest.raises(GitAuthException):
        await sdk(g.pull(repo))
    await sdk(g.pull(repo, username=USER, password=TOKEN))

    await sdk(g.create_branch(repo, "lonely"))
    with pytest.raises(GitUpstreamException, match="push failed because no upstream"):
        await sdk(g.push(repo, username=USER, password=TOKEN))
    with pytest.raises(GitUpstreamException, match="pull failed because no upstream"):
        await sdk(g.pull(repo, username=USER, password=TOKEN))

    stored = "/home/user/stored"
    await sdk(g.clone(PRIVATE, stored, username=USER, password=TOKEN, dangerously_store_credentials=True))
    assert TOKEN not in await sdk(sbx.files.read(f"{stored}/.git/config"))
    await sdk(g.commit(stored, "with stored credentials", allow_empty=True))
    await sdk(g.push(stored))  # the clone's own credential store answers
    assert git_host.log("private/secret.git")[0] == "with stored credentials"
    with pytest.raises(GitAuthException):
        await sdk(g.clone(PRIVATE, "/home/user/b"))  # stored in that clone only

    await sdk(g.dangerously_authenticate(USER, TOKEN, host="git.test", protocol="http"))
    assert await sdk(g.get_config("credential.helper")) == "store"
    assert TOKEN in await sdk(sbx.files.read("/home/user/.git-credentials"))
    await sdk(g.clone(PRIVATE, "/home/user/b"))
    for proc in await sdk(sbx.commands.list()):
        assert TOKEN not in proc.cmd and TOKEN not in str(proc.envs)
