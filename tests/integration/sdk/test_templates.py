"""Templates against a real `hutch serve`: E2B's builder (each step kind), the layer cache, a failing
step, a start command with its ready check, the built-in `nodejs` and `go`, concurrent builds of one
template, tenant separation, and the CLI's `hutch template build -f Dockerfile | ls | rm`.

Step kinds are gathered in one template (one build, one sandbox) to keep the CI time short."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hutch import (
    AsyncTemplate,
    BuildException,
    LogEntry,
    LogEntryEnd,
    LogEntryStart,
    NotFoundException,
    Sandbox,
    Template,
    wait_for_port,
)

pytestmark = pytest.mark.integration


def _alias(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("context")
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text("print('app says hi')\n")
    (root / "app" / "sub").mkdir()
    (root / "app" / "sub" / "data.csv").write_text("a,b\n1,2\n")
    (root / "app" / "skip.log").write_text("ignored\n")
    (root / "notes.txt").write_text("notes\n")
    (root / ".dockerignore").write_text("*.log\n")
    return root


@pytest.fixture(scope="module")
def every_step(hutch_env: dict[str, str], context: Path) -> tuple[str, list[LogEntry]]:
    """One template with every kind of step, on `nodejs` (for npm), with a server started by the template."""
    logs: list[LogEntry] = []
    alias = _alias("every-step")
    template = (
        Template(file_context_path=context)
        .from_template("nodejs")
        .apt_install("jq", no_install_recommends=True)
        .pip_install("pyjokes==0.6.0")
        .npm_install("is-number@7.0.0", g=True)
        .copy("app", "/opt/app", mode=0o640)
        .copy("notes.txt", "/home/user/renamed.txt", user="root")
        .set_envs({"GREETING": "hello there", "LEVEL": "3"})
        .set_workdir("/opt/work")
        .run_cmd('echo "$GREETING" > greeting.txt && pwd > where.txt', user="root")
        .set_user("root")
        .run_cmd("whoami > /opt/work/who.txt")
        .set_user("user")
        .set_start_cmd("python3 -m http.server 8123 --directory /opt/work", wait_for_port(8123))
    )
    info = Template.build(template, alias=alias, cpu_count=1, memory_mb=768, on_build_logs=logs.append)
    yield alias, logs
    Template.delete(info.template_id)


def test_every_step_kind_and_the_start_command(every_step: tuple[str, list[LogEntry]]) -> None:
    alias, logs = every_step
    assert isinstance(logs[0], LogEntryStart) and isinstance(logs[-1], LogEntryEnd)
    assert any("[2/12] RUN apt-get update" in e.message for e in logs)
    with Sandbox.create(alias) as sbx:
        # create returned after the ready check: the start command's server answers at once
        assert sbx.commands.run("curl -s localhost:8123/greeting.txt").stdout == "hello there\n"
        out = sbx.commands.run(
            "jq -n 1; python3 -c 'import pyjokes; print(pyjokes.__version__)'; "
            "node -e 'console.log(require(\"/usr/local/lib/node_modules/is-number\")(5))'; "
            "cat /opt/app/main.py /opt/app/sub/data.csv /home/user/renamed.txt /opt/work/where.txt /opt/work/who.txt; "
            "ls /opt/app; stat -c '%a %U' /opt/app/main.py /home/user/renamed.txt; echo $LEVEL"
        ).stdout
        assert out.splitlines() == [
            "1", "0.6.0", "true",
            "print('app says hi')", "a,b", "1,2", "notes", "/opt/work", "root",
            "main.py", "sub",  # skip.log was left out by .dockerignore
            "640 user", "644 root", "3",
        ]  # fmt: skip
        info = Template.get(alias)
        assert (info.cpu_count, info.memory_mb, info.start_cmd) == (
            1,
            768,
            "python3 -m http.server 8123 --directory /opt/work",
        )
        assert sbx.get_info().cpu_count == 1


def test_an_unchanged_prefix_is_not_run_again(every_step: tuple[str, list[LogEntry]], context: Path) -> None:
    alias, _ = every_step
    logs: list[LogEntry] = []
    again = Template(file_context_path=context).from_template("nodejs").apt_install("jq", no_install_recommends=True)
    again.pip_install("pyjokes==0.6.0").run_cmd("echo changed > /tmp/x && echo new-step-ran")
    Template.build(again, alias=alias + "-b", on_build_logs=logs.append)
    messages = [e.message for e in logs]
    assert any(m.startswith("CACHED [2/4] RUN apt-get update") for m in messages)
    assert any(m.startswith("CACHED [3/4] RUN pip install") for m in messages)
    assert "new-step-ran" in messages
    logs.clear()
    Template.build(again, alias=alias + "-b", on_build_logs=logs.append)
    assert "new-step-ran" not in [e.message for e in logs], "an unchanged template is not run again"
    assert Template.delete(alias + "-b")


def test_a_failing_step_names_itself_and_leaves_nothing(hutch_env: dict[str, str]) -> None:
    alias = _alias("failing")
    broken = Template().from_template("base").run_cmd("echo first").run_cmd("echo out; echo err >&2; exit 7")
    with pytest.raises(BuildException) as caught:
        Template.build(broken, alias=alias)
    reason = caught.value.reason
    assert (reason.step, reason.exit_code) == (3, 7)
    assert reason.output_tail.splitlines()[-2:] == ["out", "err"]
    assert "exit code 7" in str(caught.value)
    assert not Template.exists(alias)
    assert alias not in [a for t in Template.list() for a in t.aliases]


def test_builtin_nodejs_and_go(hutch_env: dict[str, str]) -> None:
    with Sandbox.create("nodejs") as node:
        assert node.commands.run("node -e 'console.log(6 * 7)' && npm --version").stdout.splitlines()[0] == "42"
    with Sandbox.create("go") as go:
        assert go.commands.run("go version").stdout.startswith("go version go1.")


async def test_concurrent_builds_of_one_template(hutch_env: dict[str, str]) -> None:
    alias = _alias("concurrent")
    first = AsyncTemplate().from_template("base").run_cmd("echo one > /opt/which", user="root")
    second = AsyncTemplate().from_template("base").run_cmd("echo two > /opt/which", user="root")
    a, b = await asyncio.gather(AsyncTemplate.build(first, alias=alias), AsyncTemplate.build(second, alias=alias))
    assert a.template_id == b.template_id
    with Sandbox.create(alias) as sbx:
        assert sbx.commands.run("cat /opt/which").stdout in ("one\n", "two\n")
    assert await AsyncTemplate.delete(alias)
    assert not await AsyncTemplate.delete(alias)


def test_templates_belong_to_their_tenant(hutch_server, hutch_env: dict[str, str]) -> None:
    alias = _alias("mine")
    info = Template.build(Template().from_template("base").run_cmd("touch /mine", user="root"), alias=alias)
    other = {"api_key": hutch_server.api_key_b}
    for ref in (alias, info.template_id):
        with pytest.raises(NotFoundException):
            Template.get(ref, **other)
        assert not Template.exists(ref, **other)
        assert not Template.delete(ref, **other)
        with pytest.raises(NotFoundException):
            Sandbox.create(ref, **other)
        with pytest.raises(NotFoundException):
            Template.build(Template().from_template(ref).run_cmd("true"), **other)
    assert info.template_id not in [t.template_id for t in Template.list(**other)]
    with pytest.raises(NotFoundException):
        Template.get("nope-" + alias)
    assert not Template.delete("base"), "built-in templates cannot be deleted"
    assert Template.delete(alias)


def test_cli_builds_a_dockerfile_lists_and_removes(hutch_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<h1>from the dockerfile</h1>\n")
    (tmp_path / "Dockerfile.web").write_text(
        "# a comment\n"
        "FROM base\n"
        "ARG NAME=web\n"
        'ENV TITLE="hutch ${NAME}"\n'
        "COPY --chown=user site /srv/site\n"
        "WORKDIR /srv\n"
        'RUN echo "$TITLE" > title.txt && \\\n'
        '    echo "arg=$NAME" >> title.txt\n'
        "USER user\n"
        'CMD ["python3", "-m", "http.server", "8200", "--directory", "/srv/site"]\n'
    )
    alias = _alias("dockerfile")
    hutch = [str(Path(sys.executable).with_name("hutch"))]
    built = subprocess.run([*hutch, "template", "build", "-f", str(tmp_path / "Dockerfile.web"), "--alias", alias,
                            str(tmp_path)], capture_output=True, text=True, timeout=600, env=os.environ)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "[##############################] 8/8" in built.stderr
    assert "[7/8] RUN" in built.stdout
    listed = subprocess.run([*hutch, "template", "ls"], capture_output=True, text=True, check=True).stdout
    assert alias in listed
    with Sandbox.create(alias) as sbx:
        assert sbx.commands.run("cat /srv/title.txt").stdout == "hutch web\narg=web\n"
        assert sbx.commands.run("stat -c %U /srv/site/index.html").stdout == "user\n"
        procs = [c.cmd for c in sbx.commands.list()]
        assert "python3 -m http.server 8200 --directory /srv/site" in procs
    removed = subprocess.run([*hutch, "template", "rm", alias], capture_output=True, text=True)
    assert removed.returncode == 0 and f"removed {alias}" in removed.stdout
    again = subprocess.run([*hutch, "template", "rm", alias], capture_output=True, text=True)
    assert again.returncode == 3 and "no such template" in again.stderr


def test_ready_check_that_never_passes_fails_the_create(hutch_server, hutch_env: dict[str, str]) -> None:
    """Built through the API itself, for a short `readyTimeout` (the SDK, like E2B's, has no such knob)."""
    alias = _alias("never-ready")
    with hutch_server.http() as c:
        started = c.post("/templates", json={"alias": alias, "startCmd": "sleep 600", "readyCmd": "false",
                                             "readyTimeout": 1})  # fmt: skip
        assert started.status_code == 202, started.text
        ids = started.json()
        while (build := c.get(f"/templates/{ids['templateID']}/builds/{ids['buildID']}").json())[
            "status"
        ] == "building":
            time.sleep(0.2)
        assert build["status"] == "ready", build
        r = c.post("/sandboxes", json={"templateID": alias, "timeout": 60})
        assert r.status_code == 503 and "ready check" in r.json()["message"], r.text
        live = c.get("/sandboxes", params={"template": ids["templateID"]}).json()["sandboxes"]
        assert live == [], "the sandbox whose ready check failed was removed"
        assert c.delete(f"/templates/{alias}").status_code == 204
