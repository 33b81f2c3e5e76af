"""A persistent Python interpreter for `run_code`: notebook-like state and rich results.

Run as its own process (as the sandbox user) with `python3 python_kernel.py IN_FD OUT_FD`. It reads
one JSON request per line from IN_FD, `{"code": str, "envs": {..}, "cwd": str | null}`, executes it
in one long-lived namespace, and writes JSON messages, one per line, to OUT_FD as they happen:

    {"type": "stdout" | "stderr", "text": str}
    {"type": "result", "data": {mime: str, ...}, "isMainResult": bool}
    {"type": "error", "name": str, "value": str, "traceback": str}
    {"type": "done", "executionCount": int, "status": "ok" | "error"}

Like IPython, the value of a final expression is the main result, `display(obj)` shows anything
with `_repr_*_` methods, and matplotlib figures (Agg backend, no display needed) are rendered to PNG
when shown or when the cell ends. SIGINT interrupts the running cell (the agent sends it on
timeout) and leaves the namespace intact. Standard library only; matplotlib is used if present.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import sys
import threading
import traceback
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

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
    """The message pipe to the agent; whole lines under a lock so threads never interleave."""

    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


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


def _forward_fd(fd: int, channel: Channel, name: str) -> None:
    """Output that bypasses sys.stdout (subprocesses, C extensions) still reaches the client."""
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)

    def pump() -> None:
        while chunk := os.read(read_end, 65536):
            channel.send({"type": name, "text": chunk.decode("utf-8", "replace")})

    threading.Thread(target=pump, daemon=True, name=f"fd{fd}").start()


def mime_bundle(obj: Any) -> dict[str, str]:
    """The representations of `obj`, as Jupyter would offer them; binary ones base64."""
    figure = _as_figure(obj)
    if figure is not None:
        return {"text/plain": repr(obj), "image/png": _figure_png(figure)}
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
    return bundle


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


def _figure_png(figure: Any) -> str:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class Kernel:
    """Executes cells in one namespace and reports what they print, show and raise."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.count = 0
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.namespace["display"] = self.display
        self._pyplot_patched = False

    def display(self, *objects: Any) -> None:
        for obj in objects:
            self._emit_result(obj, main=False)

    def _emit_result(self, obj: Any, *, main: bool) -> None:
        self.channel.send({"type": "result", "data": mime_bundle(obj), "isMainResult": main})
        if _as_figure(obj) is not None:
            sys.modules["matplotlib.pyplot"].close(obj)

    def _show_figures(self, *_args: Any, **_kwargs: Any) -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in pyplot.get_fignums():
            self._emit_result(pyplot.figure(number), main=False)

    def _patch_pyplot(self) -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None and not self._pyplot_patched:
            pyplot.show = self._show_figures
            self._pyplot_patched = True

    def run(self, code: str, envs: dict[str, str], cwd: str | None) -> None:
        self.count += 1
        self.namespace["In"] = code
        saved_env = {key: os.environ.get(key) for key in envs}
        os.environ.update(envs)
        status = "ok"
        try:
            if cwd:
                os.chdir(cwd)
            value = self._execute(code)
            self._patch_pyplot()
            self._show_figures()
            if value is not None:
                self.namespace["_"] = value
                self._emit_result(value, main=True)
        except BaseException as exc:  # the user's error is a result, never the kernel's death
            status = "error"
            self._report(exc)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for key, old in saved_env.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
        self.channel.send({"type": "done", "executionCount": self.count, "status": status})

    def _execute(self, code: str) -> Any:
        filename = f"<cell {self.count}>"
        tree = ast.parse(code, filename=filename, mode="exec")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and not code.rstrip().endswith(";"):
            tree.body.pop()
            exec(compile(tree, filename, "exec"), self.namespace)
            self._patch_pyplot()
            return eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace)
        exec(compile(tree, filename, "exec"), self.namespace)
        return None

    def _report(self, exc: BaseException) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        user_frames = [f for f in frames if f.filename.startswith("<cell") or "python_kernel" not in f.filename]
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(user_frames)]
        lines += traceback.format_exception_only(type(exc), exc)
        self.channel.send({"type": "error", "name": type(exc).__name__, "value": str(exc), "traceback": "".join(lines)})


def main() -> None:
    in_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    channel = Channel(out_fd)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        _forward_fd(fd, channel, name)
    sys.stdout = TextStream(channel, "stdout")  # type: ignore[assignment]
    sys.stderr = TextStream(channel, "stderr")  # type: ignore[assignment]
    kernel = Kernel(channel)
    requests = os.fdopen(in_fd, "r", encoding="utf-8")
    channel.send({"type": "ready"})
    while True:
        try:
            line = requests.readline()
            if not line:
                return
            request = json.loads(line)
            kernel.run(request["code"], request.get("envs") or {}, request.get("cwd"))
        except KeyboardInterrupt:
            continue  # an interrupt that arrived between cells


if __name__ == "__main__":
    main()
