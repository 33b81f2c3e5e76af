"""Code contexts for `run_code`: persistent python, javascript, typescript, r, java and bash
interpreters, and their events.

A context is one interpreter process, started as a sandbox user in its own session, with four pipes:
requests in, messages out (one JSON object per line), and its stdout and stderr. All but bash read
JSON requests and answer with the messages themselves (kernels/: python_kernel.py, node_kernel.js
for javascript and typescript, r_kernel.R, JavaKernel.java on JShell). Bash is an interactive
`bash --login` reading the agent's shell text from its stdin: each cell is passed as a quoted
here-document to `source`, so its variables, functions, working directory and exports stay, and a
`done` line with the cell's status is printed to the message pipe afterwards. Interactive, because
only an interactive bash abandons the running command on SIGINT and goes on reading the next one.

A thread per interpreter turns all of it into a queue of events; the request that runs a cell reads
them from the queue as they come, so output streams live. Output written while no cell runs is
delivered with the next one. The queue is bounded: a reader that does not keep up slows the code
down instead of filling the agent's memory.

Each request carries the changes to the sandbox's environment since the interpreter's previous one,
so `PUT /env` is seen by the next cell of every context without restarting it.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import queue
import re
import select
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

from . import deadlines
from .errors import HttpError
from .processes import expendable, spawn_error
from .timestamps import rfc3339
from .users import User

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
LANGUAGES = {
    "python": "python",
    "python3": "python",
    "bash": "bash",
    "sh": "bash",
    "javascript": "javascript",
    "js": "javascript",
    "node": "javascript",
    "typescript": "typescript",
    "ts": "typescript",
    "r": "r",
    "java": "java",
}
# language -> (program and options, kernel, arguments after its two fds, a file it needs); bash is itself
RUNNERS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...], str]] = {
    "python": (("python3",), "python_kernel.py", (), "/usr/bin/python3"),
    "javascript": (("node",), "node_kernel.js", (), "/usr/bin/node"),
    "typescript": (("node",), "node_kernel.js", ("--typescript",), "/usr/share/nodejs/typescript/package.json"),
    "r": (("Rscript", "--vanilla"), "r_kernel.R", (), "/usr/lib/R/site-library/jsonlite"),
    "java": (("java", "-XX:+UseSerialGC", "-Xshare:auto"), "JavaKernel.java", (), "/usr/bin/jshell"),
}
PRESTART_FILE = "/etc/hutch/prestart-code"  # a template's list of default contexts to start at boot
MAX_CONTEXTS = 32  # created ones; the default context of each language comes on top
START_TIMEOUT = 30.0  # seconds an interpreter has to say it is ready
INTERRUPT_GRACE = 3.0  # seconds an interrupted execution has to stop before its context is restarted
QUEUE_ITEMS = 256
READ_SIZE = 64 * 1024
DRAIN_LIMIT = 4 * 1024 * 1024  # bytes of stdout/stderr read ahead of a `done` (more is someone else's)
MAX_MESSAGE = 64 * 1024 * 1024  # bytes of one message line (a result with big images), as the SDK reads them
_BASH_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TIMED_OUT = object()
BASH_SIGINT = ("stderr", "\n")  # what an interactive bash prints when interrupted

Emit = Callable[[dict[str, "Any"]], None]
EnvOf = Callable[[User, dict[str, str]], dict[str, str]]


def language_of(name: str) -> str:
    """The canonical language for a name or alias; 422 for others."""
    language = LANGUAGES.get(name)
    if language is None:
        raise HttpError(422, f"unknown language {name!r}: use {', '.join(dict.fromkeys(LANGUAGES.values()))}")
    return language


def available(language: str) -> bool:
    """Whether this sandbox's template has what the language's interpreter needs."""
    return language not in RUNNERS or os.path.exists(RUNNERS[language][3])


class Interpreter:
    """One interpreter process and the thread that turns its output into a queue of messages."""

    def __init__(self, language: str, user: User, env: dict[str, str], cwd: str) -> None:
        self.language = language
        self.applied_env = dict(env)  # what the process's environment was told last
        self.count = 0
        self.ending: str | None = None  # why the agent ended it, if it did
        self.returncode: int | None = None
        self._finished = False
        self._status_lock = threading.Lock()  # never signal a reaped (reusable) pid
        self._input_lock = threading.Lock()  # never write to the request pipe's fd once it is closed
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_ITEMS)
        req_r, self._req_w = os.pipe()
        msg_r, msg_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._msg_fd = msg_w  # its number in the child too (pass_fds keeps numbers)
        pass_fds: tuple[int, ...]
        if language in RUNNERS:
            program, kernel, options, _ = RUNNERS[language]
            argv = [*program, os.path.join(KERNELS, kernel), str(req_r), str(msg_w), *options]
            stdin, pass_fds = subprocess.DEVNULL, (req_r, msg_w)
            for fd in pass_fds:  # R and Java open them by path (/dev/fd/N), which checks the pipe's owner
                with contextlib.suppress(PermissionError):  # the agent's tests run it unprivileged
                    os.fchown(fd, user.uid, user.gid)
        else:
            argv = ["/bin/bash", "--login", "--noediting", "-i"]
            stdin, pass_fds = req_r, (msg_w,)
        try:
            self.process = user.popen(
                argv, stdin=stdin, stdout=out_w, stderr=err_w, pass_fds=pass_fds, cwd=cwd, env=env
            )
        except OSError as exc:
            for fd in (self._req_w, msg_r, out_r, err_r):
                os.close(fd)
            if isinstance(exc, FileNotFoundError):
                raise _missing(language) from None
            raise spawn_error(exc, f"the {language} interpreter") from None
        finally:
            for fd in (req_r, msg_w, out_w, err_w):
                os.close(fd)
        expendable(self.process.pid)
        try:
            threading.Thread(
                target=self._read, args=(msg_r, out_r, err_r), daemon=True, name=f"code-{self.process.pid}"
            ).start()
        except RuntimeError as exc:  # no thread left to read it: it must not run unread
            self.process.kill()
            self.process.wait()
            for fd in (self._req_w, msg_r, out_r, err_r):
                os.close(fd)
            raise spawn_error(exc, f"the {language} interpreter's reader") from None
        if language == "bash":
            self._write(
                "set +m +H; set +o history; unset HISTFILE PROMPT_COMMAND; PS1=; PS2=; PS0=\n"
                f'builtin printf \'{{"type":"ready"}}\\n\' >&{self._msg_fd}\n'
            )
        self._await_ready()

    # ---------------------------------------------------------------- the process

    def _await_ready(self) -> None:
        said: list[str] = []
        deadline = deadlines.now() + START_TIMEOUT
        while True:
            message = self.next(deadline)
            if isinstance(message, dict) and message.get("type") == "ready":
                return
            if isinstance(message, dict):
                said.append(str(message.get("text", "")))
                continue
            self.kill("failed")
            why = "did not get ready in time" if message is _TIMED_OUT else f"exited with {self.returncode}"
            raise HttpError(500, f"the {self.language} interpreter {why}: {''.join(said)[-2000:]}")

    def interrupt(self) -> None:
        with self._status_lock:
            if self.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGINT)

    def kill(self, reason: str) -> None:
        """End the interpreter and everything it started; a cell running in it ends with an error."""
        self.ending = reason
        with self._status_lock:
            if self.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)

    def _write(self, text: str) -> None:
        view = memoryview(text.encode("utf-8", "surrogateescape"))
        with self._input_lock:
            try:
                while view and self._req_w >= 0:
                    view = view[os.write(self._req_w, view) :]
            except OSError:
                pass  # it is gone: the reader reports that

    def _put(self, item: dict[str, Any] | None) -> None:
        if item is not None and item.get("type") in ("stdout", "stderr"):
            item.setdefault("timestamp", time.time_ns())
        while True:
            try:
                self._messages.put(item, timeout=0.5)
                return
            except queue.Full:
                if self.ending:  # nobody will read them all: keep the newest
                    with contextlib.suppress(queue.Empty):
                        self._messages.get_nowait()

    def next(self, deadline: float | None) -> dict[str, Any] | object | None:
        """The next message; None once the interpreter ended, `_TIMED_OUT` once `deadline` passed."""
        if self._finished:
            return None
        while True:
            try:
                item = self._messages.get(timeout=deadlines.seconds_until(deadline))
                break
            except queue.Empty:
                if deadlines.passed(deadline):
                    return _TIMED_OUT
        if item is None:
            self._finished = True
        return item

    def _read(self, msg_r: int, out_r: int, err_r: int) -> None:
        streams = {fd: (kind, codecs.getincrementaldecoder("utf-8")("replace")) for fd, kind in
                   ((out_r, "stdout"), (err_r, "stderr"))}  # fmt: skip
        pidfd = os.pidfd_open(self.process.pid)
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        for fd in (out_r, err_r, msg_r):
            poller.register(fd, select.POLLIN)
            os.set_blocking(fd, False)
        lines = bytearray()
        msg_open = True

        def output(fd: int, limit: int) -> None:
            """Up to `limit` bytes of what `fd` has now, as events."""
            kind, decoder = streams[fd]
            while limit > 0:
                data = _read_some(fd)
                if not data:
                    if data is not None:
                        poller.unregister(fd)
                        del streams[fd]
                    return
                limit -= len(data)
                if text := decoder.decode(data):
                    self._put({"type": kind, "text": text})

        def messages(drain: bool = False) -> None:
            """Read a chunk of messages (all that is there, with `drain`) and queue the whole lines."""
            nonlocal msg_open
            while msg_open and (data := _read_some(msg_r)) is not None:
                if not data:
                    poller.unregister(msg_r)
                    msg_open = False
                    break
                lines.extend(data)
                if not drain:
                    break
            if len(lines) > MAX_MESSAGE and b"\n" not in lines:
                self._put({"type": "stderr", "text": f"[hutch: dropped a message over {MAX_MESSAGE} bytes]\n"})
                lines.clear()
            while (end := lines.find(b"\n")) >= 0:
                line = bytes(lines[:end])
                del lines[: end + 1]
                try:
                    message = json.loads(line)
                except ValueError:
                    message = {"type": "stderr", "text": f"[hutch: bad message from the interpreter: {line[:200]!r}]\n"}
                if isinstance(message, dict) and message.get("type") == "done":
                    for fd in list(streams):  # what it printed before it said done belongs to this cell
                        output(fd, DRAIN_LIMIT)
                self._put(message)

        try:
            while True:
                ready = {fd for fd, _ in poller.poll()}
                for fd in list(streams):
                    if fd in ready:
                        output(fd, READ_SIZE)
                if msg_r in ready:
                    messages()
                if pidfd in ready:
                    for fd in list(streams):
                        output(fd, DRAIN_LIMIT)
                    messages(drain=True)
                    break
            for kind, decoder in streams.values():
                if text := decoder.decode(b"", final=True):
                    self._put({"type": kind, "text": text})
        finally:
            for fd in (msg_r, out_r, err_r, pidfd):
                os.close(fd)
            with self._status_lock:
                code = self.process.wait()
                self.returncode = 128 - code if code < 0 else code
            with self._input_lock:
                os.close(self._req_w)
                self._req_w = -1
            self._put(None)

    # ---------------------------------------------------------------- requests

    def env_changes(self, target: dict[str, str]) -> tuple[dict[str, str], list[str]]:
        """What to set and unset so the process's environment becomes `target`."""
        changed = {k: v for k, v in target.items() if self.applied_env.get(k) != v}
        removed = [k for k in self.applied_env if k not in target]
        self.applied_env = dict(target)
        return changed, removed

    def send(self, code: str, envs: dict[str, str], cwd: str | None, target_env: dict[str, str]) -> None:
        changed, removed = self.env_changes(target_env)
        if self.language != "bash":
            request = {"code": code, "envs": envs, "cwd": cwd, "setEnv": changed, "unsetEnv": removed}
            self._write(json.dumps(request, ensure_ascii=False) + "\n")
            return
        q = shlex.quote
        setup = [f"builtin export {k}={q(v)}" for k, v in changed.items() if _BASH_NAME.match(k)]
        setup += [f"builtin unset -v {k}" for k in removed if _BASH_NAME.match(k)]
        after = ["__hutch_status=$?"]
        # Per-call variables are exported, then put back as they were (`K=v source ...` is not reliable:
        # bash stops exporting such assignments to children after the sourced code's first builtin).
        for k, v in envs.items():
            if _BASH_NAME.match(k):
                setup.append(f"__hutch_was_{k}=$(builtin declare -p {k} 2>/dev/null); builtin export {k}={q(v)}")
                after.append(
                    f'if [[ -n $__hutch_was_{k} ]]; then builtin eval "$__hutch_was_{k}"; '
                    f"else builtin unset -v {k}; fi; builtin unset -v __hutch_was_{k}"
                )
        if cwd:
            setup.append(f"__hutch_pwd=$PWD; builtin cd -- {q(cwd)}")
            after.append('builtin cd -- "$__hutch_pwd"')
        after.append(f'builtin printf \'{{"type":"done","exitCode":%d}}\\n\' "$__hutch_status" >&{self._msg_fd}')
        marker = f"__HUTCH_CELL_{_token()}"
        body = code if code.endswith("\n") or not code else code + "\n"
        # Separate lines: an interrupt abandons only the line it hits, so the status line still runs.
        self._write(
            "".join(line + "\n" for line in setup)
            + f"builtin source /dev/stdin <<'{marker}'\n{body}{marker}\n"
            + "; ".join(after)
            + "\n"
        )


def _missing(language: str) -> HttpError:
    home = "base" if language in ("python", "javascript", "bash") else "code-interpreter"
    # 409, not 422: the request is valid, this sandbox's template (its state) is what cannot serve it
    return HttpError(409, f"this sandbox's template cannot run {language}: the {home} template can")


def _read_some(fd: int) -> bytes | None:
    """A chunk, b"" at end of file, None if there is nothing now."""
    try:
        return os.read(fd, READ_SIZE)
    except BlockingIOError:
        return None


class Context:
    """A code context: settings, and the interpreter that runs its cells one after another."""

    def __init__(self, context_id: str, language: str, user: User, cwd: str, envs: dict[str, str]) -> None:
        self.id = context_id
        self.language = language
        self.user = user
        self.cwd = cwd
        self.envs = envs
        self.created_at = time.time()
        self.removed = False
        self._interpreter: Interpreter | None = None
        self._lock = threading.Lock()  # guards _interpreter
        self._running = threading.Lock()  # one cell at a time

    def info(self) -> dict[str, Any]:
        """As the contract's `CodeContext`."""
        return {
            "contextID": self.id,
            "language": self.language,
            "user": self.user.name,
            "cwd": self.cwd,
            "envs": self.envs,
            "createdAt": rfc3339(self.created_at),
        }

    def start(self, env_of: EnvOf) -> Interpreter:
        """The running interpreter, started first if there is none (or it ended)."""
        with self._lock:
            if self.removed:
                raise HttpError(404, f"code context {self.id!r} was removed")
            if self._interpreter is None or self._interpreter.returncode is not None:
                if not available(self.language):
                    raise _missing(self.language)
                self._interpreter = Interpreter(self.language, self.user, env_of(self.user, self.envs), self.cwd)
            return self._interpreter

    def stop(self, reason: str, remove: bool = False) -> None:
        with self._lock:
            old, self._interpreter = self._interpreter, None
            self.removed = self.removed or remove
        if old is not None:
            old.kill(reason)

    def restart(self, env_of: EnvOf) -> None:
        self.stop("restarted")
        self.start(env_of)

    @contextlib.contextmanager
    def session(self, env_of: EnvOf) -> Iterator[Interpreter]:
        """This context's turn to run a cell, with its interpreter started."""
        with self._running:
            yield self.start(env_of)

    def execute(
        self,
        interpreter: Interpreter,
        code: str,
        envs: dict[str, str],
        cwd: str | None,
        timeout: float,
        env_of: EnvOf,
        emit: Emit,
    ) -> None:
        """Run one cell in `interpreter` (from `session`), emitting its events up to `done`."""
        interpreter.count += 1
        interpreter.send(code, envs, cwd, env_of(self.user, self.envs))
        deadline = deadlines.now() + timeout if timeout > 0 else None
        interrupted: dict[str, Any] | None = None  # the TimeoutError to report, once interrupted

        def done(exit_code: int, status: str) -> None:
            if interrupted is not None:
                emit(interrupted)
            emit({"type": "done", "exitCode": exit_code, "status": status, "executionCount": interpreter.count,
                  "contextID": self.id, "timedOut": interrupted is not None})  # fmt: skip

        while True:
            message = interpreter.next(deadline)
            if message is _TIMED_OUT:
                if interrupted is None:
                    interpreter.interrupt()
                    interrupted = _error(
                        "TimeoutError",
                        f"the execution timed out after {timeout:g} s and was interrupted; the context keeps its state",
                    )
                    deadline = deadlines.now() + INTERRUPT_GRACE
                    continue
                with contextlib.suppress(HttpError):  # if it cannot start now, the next cell says why
                    self.restart(env_of)
                interrupted = _error(
                    "TimeoutError",
                    f"the execution timed out after {timeout:g} s and did not stop within {INTERRUPT_GRACE:g} s "
                    "of being interrupted, so the context was restarted: its state was lost",
                )
                done(137, "error")
                return
            if not isinstance(message, dict):  # the interpreter ended
                if interrupted is None:
                    emit(self._ended(interpreter))
                done(interpreter.returncode or 1, "error")
                return
            kind = message.get("type")
            if kind == "done":
                if self.language == "bash":
                    exit_code = int(message.get("exitCode", 1))
                    status = "ok" if exit_code == 0 else "error"
                else:
                    status = "ok" if message.get("status") == "ok" else "error"
                    exit_code = 0 if status == "ok" else 1
                done(exit_code, "error" if interrupted else status)
                return
            if interrupted is not None and kind == "error":  # its own report of the interrupt
                interrupted["traceback"] = message.get("traceback", "")
            elif interrupted is not None and self.language == "bash" and (kind, message.get("text")) == BASH_SIGINT:
                pass  # what an interactive bash prints when interrupted
            elif kind in ("stdout", "stderr", "result", "error"):
                emit(message)

    def _ended(self, interpreter: Interpreter) -> dict[str, Any]:
        if interpreter.ending in ("restarted", "removed"):
            return _error("ContextRestarted", f"the code context was {interpreter.ending} while this code ran")
        return _error(
            "InterpreterExited",
            f"the {self.language} interpreter exited with status {interpreter.returncode}; "
            "the context starts afresh with the next execution (its state was lost)",
        )


def _token() -> str:
    """16 random hex digits (`secrets` would load hashlib and libcrypto: ~0.8 MB in every sandbox)."""
    return os.urandom(8).hex()


def _error(name: str, value: str) -> dict[str, Any]:
    return {"type": "error", "name": name, "value": value, "traceback": ""}


class CodeContexts:
    """The sandbox's code contexts by ID; a language's default context has the language as its ID."""

    def __init__(self, env_of: EnvOf) -> None:
        self.env_of = env_of
        self._contexts: dict[str, Context] = {}
        self._lock = threading.Lock()

    def create(self, language: str, user: User, cwd: str, envs: dict[str, str]) -> Context:
        """A new context with its interpreter running; 409 when there are too many."""
        context = Context(_token(), language, user, cwd, envs)
        with self._lock:
            if sum(1 for c in self._contexts.values() if c.id not in LANGUAGES) >= MAX_CONTEXTS:
                raise HttpError(409, f"this sandbox already has {MAX_CONTEXTS} code contexts; remove one first")
            self._contexts[context.id] = context
        try:
            context.start(self.env_of)
        except BaseException:
            self.remove(context.id)
            raise
        return context

    def default(self, language: str, user: Callable[[], User]) -> Context:
        """The language's default context (made on first use, started by its first cell); 422 for a
        language this template cannot run (so it is never listed)."""
        if not available(language):
            raise _missing(language)
        with self._lock:
            context = self._contexts.get(language)
            if context is None:
                owner = user()
                context = self._contexts[language] = Context(language, language, owner, owner.home, {})
            return context

    def with_defaults(self, user: Callable[[], User]) -> list[Context]:
        """Every context, the default one of each language this template runs included (as E2B lists them)."""
        for language in filter(available, dict.fromkeys(LANGUAGES.values())):
            self.default(language, user)
        return self.all()

    def get(self, context_id: str) -> Context:
        context = self._contexts.get(context_id)
        if context is None:
            raise HttpError(404, f"no code context {context_id!r}")
        return context

    def all(self) -> list[Context]:
        with self._lock:
            return list(self._contexts.values())

    def remove(self, context_id: str) -> None:
        with self._lock:
            context = self._contexts.pop(context_id, None)
        if context is None:
            raise HttpError(404, f"no code context {context_id!r}")
        context.stop("removed", remove=True)
