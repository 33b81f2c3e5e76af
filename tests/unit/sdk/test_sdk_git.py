"""sbx.git, sync and async, against a respx-mocked server: the command lines sent, credentials on
stdin only, the parsed results and the Git exceptions."""

from __future__ import annotations

import shlex

import pytest
import respx
from sdk_fakes import command_events, ndjson, process, sent_json

from hutch import (
    AsyncGit,
    CommandExitException,
    Git,
    GitAuthException,
    GitBranches,
    GitUpstreamException,
    InvalidArgumentException,
)
from hutch._features import git
from hutch.exceptions import AuthenticationException
from hutch.exceptions import GitAuthException as ExcGitAuth

OUTPUT = "/sandboxes/sb1/commands/7/output"


@pytest.fixture
def started(api):
    return api.post("/sandboxes/sb1/commands").respond(201, json=process())


def answer(api: respx.MockRouter, stdout: str = "", stderr: str = "", code: int = 0) -> None:
    chunks = [c for c in (("stdout", stdout), ("stderr", stderr)) if c[1]]
    api.get(OUTPUT).respond(200, content=ndjson(*command_events(*chunks, code=code)))


def cmd_of(route: respx.Route, index: int = -1) -> str:
    return str(sent_json(route, index)["cmd"])


async def test_sbx_git_is_the_flavors_git(sdk, sbx):
    assert isinstance(sbx.git, AsyncGit if sdk.is_async else Git)
    assert GitAuthException is ExcGitAuth and issubclass(GitAuthException, AuthenticationException)


async def test_every_argument_is_quoted_and_prompts_are_off(sdk, api, sbx, started):
    answer(api)
    nasty = "it's $(rm -rf ~) `x` ; | &"
    await sdk(sbx.git.commit("/home/user/my repo", nasty, author_name="A B", allow_empty=True, cwd="/tmp"))
    body = sent_json(started)
    assert shlex.split(body["cmd"]) == [
        "git", "-C", "/home/user/my repo", "-c", "user.name=A B", "commit", "-m", nasty, "--allow-empty",
    ]  # fmt: skip
    assert body["envs"] == {"GIT_TERMINAL_PROMPT": "0"} and body["cwd"] == "/tmp"
    await sdk(sbx.git.add("/r", ["-rf", "a b"], envs={"X": "1"}, user="root", timeout=9))
    body = sent_json(started)
    assert shlex.split(body["cmd"]) == ["git", "-C", "/r", "add", "--", "-rf", "a b"]
    assert (body["envs"], body["user"], body["timeout"]) == ({"GIT_TERMINAL_PROMPT": "0", "X": "1"}, "root", 9.0)
    await sdk(sbx.git.add("/r", all=False))
    assert shlex.split(cmd_of(started)) == ["git", "-C", "/r", "add", "."]
    await sdk(sbx.git.reset("/r", mode="hard", target="HEAD~1"))
    assert shlex.split(cmd_of(started)) == ["git", "-C", "/r", "reset", "--hard", "HEAD~1"]
    await sdk(sbx.git.restore("/r", ["f"], staged=True, source="main"))
    assert shlex.split(cmd_of(started)) == ["git", "-C", "/r", "restore", "--staged", "--source", "main", "--", "f"]
    await sdk(sbx.git.push("/r", remote="origin", branch="dev"))
    assert shlex.split(cmd_of(started)) == ["git", "-C", "/r", "push", "--set-upstream", "origin", "dev"]
    await sdk(sbx.git.init("/r", bare=True, initial_branch="main"))
    assert shlex.split(cmd_of(started)) == ["git", "init", "--bare", "--initial-branch", "main", "--", "/r"]
    await sdk(sbx.git.clone("https://h/x.git", branch="b", depth=1))
    assert shlex.split(cmd_of(started)) == [
        "git", "clone", "--branch", "b", "--single-branch", "--depth", "1", "--", "https://h/x.git",
    ]  # fmt: skip


async def test_credentials_go_to_stdin_never_the_command_line(sdk, api, sbx, started):
    stdin = api.post("/sandboxes/sb1/commands/7/stdin").respond(204)
    closed = api.post("/sandboxes/sb1/commands/7/stdin/close").respond(204)
    answer(api)
    await sdk(sbx.git.clone("https://h/x.git", "/r", username="bob", password="s3cret"))
    body = sent_json(started)
    assert "s3cret" not in body["cmd"] and "s3cret" not in str(body["envs"]) and body["stdin"] is True
    assert [c.request.content for c in stdin.calls] == [b"bob\ns3cret\n"] and closed.called
    await sdk(sbx.git.push("/r", username="bob", password="s3cret"))
    assert "s3cret" not in cmd_of(started) and "credential.helper=" in cmd_of(started)
    await sdk(sbx.git.dangerously_authenticate("bob", "s3cret", host="git.example"))
    cmd = cmd_of(started)
    assert "s3cret" not in cmd and "credential.helper store" in cmd and "host=git.example" in cmd
    assert stdin.calls[-1].request.content == b"bob\ns3cret\n"


async def test_status_and_branches_are_parsed(sdk, api, sbx, started):
    answer(
        api, "## main...origin/main [ahead 2, behind 1]\x00 M a b.txt\x00A  new\x00?? u\x00R  to\x00from\x00UU c\x00"
    )
    status = await sdk(sbx.git.status("/r"))
    assert shlex.split(cmd_of(started)) == ["git", "-C", "/r", "status", "--porcelain=v1", "--branch", "-z"]
    assert (status.current_branch, status.upstream, status.ahead, status.behind) == ("main", "origin/main", 2, 1)
    assert [(f.name, f.status, f.staged, f.renamed_from) for f in status.file_status] == [
        ("a b.txt", "modified", False, None),
        ("new", "added", True, None),
        ("u", "untracked", False, None),
        ("to", "renamed", True, "from"),
        ("c", "conflict", True, None),
    ]
    assert (status.total_count, status.staged_count, status.unstaged_count) == (5, 3, 2)
    assert (status.untracked_count, status.conflict_count, status.has_conflicts, status.is_clean) == (1, 1, True, False)
    answer(api, " (HEAD detached at 1234)\n*refs/heads/dev\n refs/heads/main\n")
    assert await sdk(sbx.git.branches("/r")) == GitBranches(["dev", "main"], "dev")


def test_status_branch_lines():
    assert git.parse_status("## No commits yet on trunk\x00").current_branch == "trunk"
    detached = git.parse_status("## HEAD (no branch)\x00")
    assert (detached.detached, detached.current_branch) == (True, None)
    assert git.parse_status("## dev\x00").upstream is None
    assert git.parse_status("## dev...origin/dev [gone]\x00").ahead == 0
    assert git.parse_status("").is_clean


async def test_missing_values_are_none(sdk, api, sbx, started):
    answer(api, stderr="error: No such remote 'x'\n", code=2)
    assert await sdk(sbx.git.remote_get("/r", "x")) is None
    answer(api, code=1)
    assert await sdk(sbx.git.get_config("user.name")) is None
    answer(api, "https://h/x.git\n")
    assert await sdk(sbx.git.remote_get("/r", "origin")) == "https://h/x.git"
    answer(api, stderr="fatal: not a git repository\n", code=128)
    with pytest.raises(CommandExitException) as info:
        await sdk(sbx.git.remote_get("/r", "origin"))
    assert info.value.exit_code == 128


@pytest.mark.parametrize(
    ("stderr", "raised", "match"),
    [
        ("fatal: could not read Username for 'https://h': terminal prompts disabled", GitAuthException, "credentials"),
        ("remote: HTTP Basic: Access denied\nfatal: Authentication failed", GitAuthException, "credentials"),
        ("fatal: The current branch dev has no upstream branch.", GitUpstreamException, "no upstream"),
        ("There is no tracking information for the current branch.", GitUpstreamException, "no upstream"),
        ("fatal: unable to access 'https://h/': Could not resolve host", CommandExitException, "code 128"),
    ],
)
async def test_failures_map_onto_git_exceptions(sdk, api, sbx, started, stderr, raised, match):
    answer(api, stderr=stderr + "\n", code=128 if raised is not GitUpstreamException else 1)
    with pytest.raises(raised, match=match) as info:
        await sdk(sbx.git.push("/r"))
    if raised is not CommandExitException:
        assert isinstance(info.value.__cause__, CommandExitException)


async def test_a_failed_commit_is_never_an_auth_error(sdk, api, sbx, started):
    answer(api, stderr="error: permission denied\n", code=1)
    with pytest.raises(CommandExitException):
        await sdk(sbx.git.commit("/r", "m"))


async def test_bad_arguments_send_nothing(sdk, api, sbx, started):
    bad = [
        lambda g: g.clone("https://h/x.git", password="p"),
        lambda g: g.clone("git@h:x.git", "/r", username="u", password="p"),
        lambda g: g.clone("https://h/x.git", "/r", username="u\n", password="p"),
        lambda g: g.clone("https://h/x.git", depth=0),
        lambda g: g.reset("/r", mode="bogus"),
        lambda g: g.restore("/r", []),
        lambda g: g.restore("/r", ["f"], staged=False, worktree=False),
        lambda g: g.set_config("k", "v", scope="local"),
        lambda g: g.get_config("k", scope="nope"),
        lambda g: g.get_config(""),
        lambda g: g.dangerously_authenticate("u", ""),
        lambda g: g.configure_user("", "e"),
        lambda g: g.add("/r", "file"),
        lambda g: g.status("/r", verbose=True),
        lambda g: g.commit("/r", "a\x00b"),
    ]
    for call in bad:
        with pytest.raises(InvalidArgumentException):
            await sdk(call(sbx.git))
    assert not started.called
