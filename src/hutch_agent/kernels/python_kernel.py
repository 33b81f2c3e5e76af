"""A persistent Python interpreter for `run_code`: notebook-like state and rich results.

Run as its own process (as the sandbox user) with `python3 python_kernel.py IN_FD OUT_FD`. It reads
one JSON request per line from IN_FD,

    {"code": str, "envs": {..}, "cwd": str | null, "setEnv": {..}, "unsetEnv": [..]}

executes it in one long-lived namespace, and writes JSON messages, one per line, to OUT_FD as they
happen (after a first `{"type": "ready"}`):

    {"type": "stdout" | "stderr", "text": str}
    {"type": "result", "data": {mime: str, ...}, "isMainResult": bool}
    {"type": "error", "name": str, "value": str, "traceback": str}
    {"type": "done", "executionCount": int, "status": "ok" | "error"}

`setEnv`/`unsetEnv` change the environment for good (the sandbox's variables changed); `envs` and
`cwd` hold for this request only. What Python code prints goes through OUT_FD, in order with the
results; what bypasses `sys.stdout` (subprocesses, C code) goes to fds 1 and 2, which the agent
streams as well.

Where the template has IPython, cells run in IPython's shell (`ipython_shell.py`: magics, `!cmd`,
dedent, `IPython.display`). Without it, a small runner of the standard library does what it can the
same way: the value of a final expression is the main result and `display(obj)` shows anything with
`_repr_*_` methods. Either way matplotlib figures (Agg backend, no display needed) are rendered to
PNG, with their chart data (`figures.py`) in the result's `chart`, when shown (`plt.show()` is
replaced as pyplot is imported) or when the cell ends. SIGINT interrupts the running cell (the agent
sends it on timeout) and leaves the namespace intact; between cells it is ignored.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")
if __name__ == "__main__":  # run as a script: its sibling modules import through the package
    _PACKAGES = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path[0] = _PACKAGES
from hutch_agent.kernels import tables

_MIME_REPRS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
)


class Channel:
    """The message pipe to the agent; whole lines under a lock so threads never interleave.

    An interrupt that arrives while the main thread is writing a line is raised once the line is
    whole (`interrupt`), so a timed-out cell never leaves half a message in the pipe.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._main = threading.main_thread()
        self.main_sending = False
        self.deferred_interrupt = False

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, ensure_ascii=False, default=str) + "\n").encode("utf-8", "replace")
        main = threading.current_thread() is self._main
        with self._lock:
            self.main_sending = main
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            finally:
                self.main_sending = False
        if main and self.deferred_interrupt:
            self.deferred_interrupt = False
            raise KeyboardInterrupt


class TextStream:
    """sys.stdout / sys.stderr replacement that forwards each line (or flush) as it happens."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, channel: Channel, name: str) -> None:
        self._channel = channel
        self._name = name
        self._pending: list[str] = []

    def write(self, text: str) -> int:
        self._pending.append(text)
        if "\n" in text:
            self.flush()
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        if text:
            self._channel.send({"type": self._name, "text": text})

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self._name == "stdout" else 2

    @property
    def closed(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class AfterImport(importlib.abc.MetaPathFinder):
    """Calls `hook(module)` right after the module `name` is first imported, before the importer sees it."""

    def __init__(self, name: str, hook: Any) -> None:
        self.name = name
        self.hook = hook

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_then_hook(module: Any) -> None:
            exec_module(module)
            self.hook(module)

        spec.loader.exec_module = exec_then_hook  # type: ignore[method-assign]
        return spec


def mime_bundle(obj: Any) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The representations of `obj`, as Jupyter would offer them (binary ones base64), and for a
    matplotlib figure its chart data."""
    if _as_figure(obj) is not None:
        from hutch_agent.kernels import figures

        return figures.bundle(obj)
    bundle: dict[str, str] = {}
    rich = getattr(obj, "_repr_mimebundle_", None)
    if callable(rich):
        try:
            data = rich()
            data = data[0] if isinstance(data, tuple) else data
            bundle.update({k: _as_text(v) for k, v in (data or {}).items()})
        except Exception:
            pass
    for mime, method in _MIME_REPRS:
        if mime in bundle:
            continue
        fn = getattr(obj, method, None)
        if not callable(fn) or isinstance(obj, type):
            continue
        try:
            value = fn()
        except Exception:
            continue
        if value is not None:
            bundle[mime] = _as_text(value[0] if isinstance(value, tuple) else value)
    bundle.setdefault("text/plain", repr(obj))
    if tables.is_frame(obj) and (data := tables.frame_data(obj)) is not None:
        bundle[tables.MIME] = data
    return bundle, None


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _as_figure(obj: Any) -> Any:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return None
    from matplotlib.figure import Figure

    return obj if isinstance(obj, Figure) else None


class Kernel:
    """Executes cells in one namespace and reports what they print, show and raise."""

    def __init__(self, channel: Channel, ipython: bool) -> None:
        self.channel = channel
        self.count = 0
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.namespace["display"] = self.display
        self.executing = False
        self.shell: Any = None
        self.notice = ""  # told to the first cell (what the kernel says before it is ready is not)
        if ipython:
            try:
                from hutch_agent.kernels.ipython_shell import Shell
            except ImportError as exc:  # an IPython too old or broken: the plain runner, and the first cell says why
                self.notice = f"[hutch: IPython could not be loaded ({exc}); cells run without it]\n"
            else:
                self.shell = Shell(self.send_result, self.send_error)

    def display(self, *objects: Any) -> None:
        for obj in objects:
            self._emit_result(obj, main=False)

    def send_result(self, data: dict[str, str], chart: dict[str, Any] | None, main: bool) -> None:
        message = {"type": "result", "data": data, "isMainResult": main}
        self.channel.send({**message, "chart": chart} if chart else message)

    def send_error(self, name: str, value: str, traceback: str) -> None:
        self.channel.send({"type": "error", "name": name, "value": value, "traceback": traceback})

    def _emit_result(self, obj: Any, *, main: bool) -> None:
        self.send_result(*mime_bundle(obj), main)
        if _as_figure(obj) is not None:
            sys.modules["matplotlib.pyplot"].close(obj)

    def show_figures(self, *_args: Any, **_kwargs: Any) -> None:
        """Every open figure as a result (then closed): `plt.show()` and the end of a cell."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in pyplot.get_fignums():
            self._emit_result(pyplot.figure(number), main=False)

    def on_sigint(self, _signum: int, _frame: Any) -> None:
        """Interrupt the running cell (never the kernel between cells, nor a message half sent)."""
        if not self.executing:
            return
        if self.channel.main_sending:
            self.channel.deferred_interrupt = True
            return
        raise KeyboardInterrupt

    def run(
        self,
        code: str,
        envs: dict[str, str],
        cwd: str | None,
        set_env: dict[str, str] | None = None,
        unset_env: list[str] | None = None,
    ) -> None:
        self.count += 1
        self.namespace["In"] = code
        os.environ.update(set_env or {})
        for key in unset_env or ():
            os.environ.pop(key, None)
        saved_env = {key: os.environ.get(key) for key in envs}
        os.environ.update(envs)
        saved_cwd = os.getcwd() if cwd else None
        status = "ok"
        try:
            self.executing = True
            if self.notice:
                sys.stderr.write(self.notice)
                self.notice = ""
            if cwd:
                os.chdir(cwd)
            if self.shell is not None:
                if not self.shell.run(code):
                    status = "error"
                self.show_figures()
            else:
                value = self._execute(code)
                self.show_figures()
                if value is not None:
                    self.namespace["_"] = value
                    self._emit_result(value, main=True)
        except BaseException as exc:  # the user's error is a result, never the kernel's death
            self.executing = False
            status = "error"
            self._report(exc)
        finally:
            self.executing = False
            self.channel.deferred_interrupt = False
            sys.stdout.flush()
            sys.stderr.flush()
            for key, old in saved_env.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
            if saved_cwd is not None:
                with contextlib.suppress(OSError):  # the cell removed it: stay where it left us
                    os.chdir(saved_cwd)
        self.channel.send({"type": "done", "executionCount": self.count, "status": status})

    def _execute(self, code: str) -> Any:
        filename = f"<cell {self.count}>"
        tree = ast.parse(code, filename=filename, mode="exec")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and not code.rstrip().endswith(";"):
            tree.body.pop()
            exec(compile(tree, filename, "exec"), self.namespace)
            return eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace)
        exec(compile(tree, filename, "exec"), self.namespace)
        return None

    def _report(self, exc: BaseException) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        user_frames = [f for f in frames if f.filename.startswith("<cell") or "python_kernel" not in f.filename]
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(user_frames)]
        lines += traceback.format_exception_only(type(exc), exc)
        self.send_error(type(exc).__name__, str(exc), "".join(lines))


def _has_ipython() -> bool:
    import importlib.util

    return importlib.util.find_spec("IPython") is not None


def main() -> None:
    in_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    channel = Channel(out_fd)
    sys.stdout = TextStream(channel, "stdout")
    sys.stderr = TextStream(channel, "stderr")
    kernel = Kernel(channel, ipython=os.environ.get("HUTCH_KERNEL") != "plain" and _has_ipython())
    sys.path.insert(0, "")  # like a notebook: modules in the working directory import
    signal.signal(signal.SIGINT, kernel.on_sigint)

    def show(*_args: Any, **_kwargs: Any) -> None:
        kernel.show_figures()  # a plain function: pyplot sets attributes (__signature__) on its `show`

    sys.meta_path.insert(0, AfterImport("matplotlib.pyplot", lambda pyplot: setattr(pyplot, "show", show)))
    requests = os.fdopen(in_fd, "r", encoding="utf-8")
    channel.send({"type": "ready"})
    while True:
        try:
            line = requests.readline()
            if not line:
                return
            request = json.loads(line)
            kernel.run(
                request["code"],
                request.get("envs") or {},
                request.get("cwd"),
                request.get("setEnv"),
                request.get("unsetEnv"),
            )
        except KeyboardInterrupt:
            continue  # an interrupt that arrived between cells


if __name__ == "__main__":
    main()
