"""``sbx.git``: E2B's Git API, as git commands run in the sandbox (``git`` is in the ``base`` template)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from hutch._features import git
from hutch._features.git import GitBranches, GitCall, GitOptions, GitResetMode, GitStatus
from hutch.exceptions import CommandExitException, InvalidArgumentException
from hutch.sandbox_async.commands import AsyncCommands
from hutch.types import CommandResult


class AsyncGit:
    """Git operations in the sandbox, each one ``git`` command run with ``commands.run``.

    Every method also takes the keywords of :class:`~hutch.GitOptions` (``envs``, ``user``, ``cwd``,
    ``timeout``, ``request_timeout``); git runs with ``GIT_TERMINAL_PROMPT=0``. A failing command
    raises :class:`~hutch.exceptions.CommandExitException`, a clone, push or pull refused for
    credentials :class:`~hutch.exceptions.GitAuthException`, and a push or pull with no upstream
    :class:`~hutch.exceptions.GitUpstreamException`. ``username``/``password`` reach git on the
    command's stdin, never on a command line or in ``.git/config``.
    """

    def __init__(self, commands: AsyncCommands) -> None:
        self._commands = commands

    async def _run(self, call: GitCall, opts: GitOptions) -> CommandResult:
        run_opts = git.run_options(call, opts)
        try:
            if call.secret is None:
                return await self._commands.run(call.cmd, False, **run_opts)
            handle = await self._commands.run(call.cmd, True, **run_opts)
            try:
                await handle.send_stdin(call.secret)
                await handle.close_stdin()
                return await handle.wait()
            finally:
                handle._stop()
        except CommandExitException as exc:
            mapped = git.failure(call, exc)
            if mapped is None:
                raise
            raise mapped from exc

    async def clone(
        self,
        url: str,
        path: str | None = None,
        branch: str | None = None,
        depth: int | None = None,
        username: str | None = None,
        password: str | None = None,
        dangerously_store_credentials: bool = False,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Clone ``url`` into ``path`` (default: git's choice, the URL's last part), optionally one
        ``branch`` and ``depth`` commits deep. ``username``/``password`` (a token) are used for this
        clone only; with ``dangerously_store_credentials=True`` they are also stored in the clone
        (its ``.git/credentials``, read by later push/pull there and by any process in the sandbox
        that can read the repository)."""
        call = git.clone(url, path, branch, depth, username, password, dangerously_store_credentials)
        return await self._run(call, opts)

    async def init(
        self, path: str, bare: bool = False, initial_branch: str | None = None, **opts: Unpack[GitOptions]
    ) -> CommandResult:
        """Create a repository at ``path`` (made if missing)."""
        return await self._run(git.init(path, bare, initial_branch), opts)

    async def remote_add(
        self,
        path: str,
        name: str,
        url: str,
        fetch: bool = False,
        overwrite: bool = False,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Add remote ``name`` (``overwrite=True``: replace its URL if it exists), then fetch it if asked."""
        return await self._run(git.remote_add(path, name, url, fetch, overwrite), opts)

    async def remote_get(self, path: str, name: str, **opts: Unpack[GitOptions]) -> str | None:
        """The URL of remote ``name``, or None if the repository has no such remote."""
        try:
            result = await self._run(git.remote_get(path, name), opts)
        except CommandExitException as exc:
            if exc.exit_code == git.REMOTE_MISSING:
                return None
            raise
        return result.stdout.strip() or None

    async def status(self, path: str, **opts: Unpack[GitOptions]) -> GitStatus:
        """The current branch, its upstream and ahead/behind counts, and every changed file."""
        return git.parse_status((await self._run(git.status(path), opts)).stdout)

    async def branches(self, path: str, **opts: Unpack[GitOptions]) -> GitBranches:
        """The local branches and the current one (None when HEAD is detached)."""
        return git.parse_branches((await self._run(git.branches(path), opts)).stdout)

    async def create_branch(self, path: str, branch: str, **opts: Unpack[GitOptions]) -> CommandResult:
        """Create ``branch`` at HEAD and check it out."""
        return await self._run(git.create_branch(path, branch), opts)

    async def checkout_branch(self, path: str, branch: str, **opts: Unpack[GitOptions]) -> CommandResult:
        """Check out an existing ``branch``."""
        return await self._run(git.checkout_branch(path, branch), opts)

    async def delete_branch(
        self, path: str, branch: str, force: bool = False, **opts: Unpack[GitOptions]
    ) -> CommandResult:
        """Delete ``branch`` (``force=True``: even if it is not merged)."""
        return await self._run(git.delete_branch(path, branch, force), opts)

    async def add(
        self, path: str, files: Sequence[str] | None = None, all: bool = True, **opts: Unpack[GitOptions]
    ) -> CommandResult:
        """Stage ``files``; without them every change (``all=True``) or the current directory's."""
        return await self._run(git.add(path, files, all), opts)

    async def commit(
        self,
        path: str,
        message: str,
        author_name: str | None = None,
        author_email: str | None = None,
        allow_empty: bool = False,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Commit the staged changes; ``author_name``/``author_email`` apply to this commit only."""
        return await self._run(git.commit(path, message, author_name, author_email, allow_empty), opts)

    async def reset(
        self,
        path: str,
        mode: GitResetMode | None = None,
        target: str | None = None,
        paths: Sequence[str] | None = None,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """``git reset`` to ``target`` (default HEAD) in ``mode`` (soft, mixed, hard, merge, keep), or of ``paths``."""
        return await self._run(git.reset(path, mode, target, paths), opts)

    async def restore(
        self,
        path: str,
        paths: Sequence[str],
        staged: bool | None = None,
        worktree: bool | None = None,
        source: str | None = None,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Restore ``paths`` in the working tree (default), the index (``staged=True``) or both, from ``source``."""
        return await self._run(git.restore(path, paths, staged, worktree, source), opts)

    async def push(
        self,
        path: str,
        remote: str | None = None,
        branch: str | None = None,
        set_upstream: bool = True,
        username: str | None = None,
        password: str | None = None,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Push to ``remote``/``branch`` (default: the upstream); ``set_upstream`` records it when a remote is given."""
        return await self._run(git.push(path, remote, branch, set_upstream, username, password), opts)

    async def pull(
        self,
        path: str,
        remote: str | None = None,
        branch: str | None = None,
        username: str | None = None,
        password: str | None = None,
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Pull from ``remote``/``branch`` (default: the upstream)."""
        return await self._run(git.pull(path, remote, branch, username, password), opts)

    async def set_config(
        self, key: str, value: str, scope: str = "global", path: str | None = None, **opts: Unpack[GitOptions]
    ) -> CommandResult:
        """Set a git config value; ``scope`` is ``global``, ``system`` or ``local`` (with ``path``)."""
        return await self._run(git.set_config(key, value, scope, path), opts)

    async def get_config(
        self, key: str, scope: str = "global", path: str | None = None, **opts: Unpack[GitOptions]
    ) -> str | None:
        """A git config value, or None when the key is not set in ``scope``."""
        try:
            result = await self._run(git.get_config(key, scope, path), opts)
        except CommandExitException as exc:
            if exc.exit_code == git.CONFIG_UNSET:
                return None
            raise
        return result.stdout.strip() or None

    async def configure_user(
        self, name: str, email: str, scope: str = "global", path: str | None = None, **opts: Unpack[GitOptions]
    ) -> CommandResult:
        """Set ``user.name`` and ``user.email``."""
        if not name or not email:
            raise InvalidArgumentException("Both name and email are required.")
        await self.set_config("user.name", name, scope, path, **opts)
        return await self.set_config("user.email", email, scope, path, **opts)

    async def dangerously_authenticate(
        self,
        username: str,
        password: str,
        host: str = "github.com",
        protocol: str = "https",
        **opts: Unpack[GitOptions],
    ) -> CommandResult:
        """Authenticate git for ``protocol://host`` for good, as E2B does: the global credential helper
        becomes ``store`` and the credentials are written to the user's ``~/.git-credentials`` (plain
        text, mode 0600), where every later git command, and any code running as that user in the
        sandbox, can read them. Prefer short-lived tokens, or ``username``/``password`` per call."""
        return await self._run(git.authenticate(username, password, host, protocol), opts)
