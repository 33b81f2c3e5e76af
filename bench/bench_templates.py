"""Templates: a rebuild of an unchanged template, and creating sandboxes from a built template next to
`base`, warm (from the pool) and cold (booted on the request path).

    sudo .venv/bin/python bench/bench_templates.py [--samples 10] [--rebuilds 5]

Starts its own server (bench_server.Server), builds a template of a few steps (a copy, envs, two
runs) through the SDK, creates one sandbox of it (its first use gives it a warm pool: no
`--pool-template` needed), waits for the pool to show in `warmSandboxes`, then prints medians, p95 and
the custom/base ratios. The issue's targets: rebuild <= 1 s, warm create as fast as `base`, cold create
<= 1.5x `base`. Also a template with a start command and a ready check (an HTTP server on a port): its
pooled sandboxes ran it ahead and wait frozen, so a warm create skips the start and the check.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from bench_server import Server, _summary, create_latency

from hutch import Template, wait_for_port


def _template(context: Path) -> Template:
    (context / "app.py").write_text("print('bench')\n")
    builder = Template(file_context_path=context).from_template("base").copy("app.py", "/opt/bench/")
    return (
        builder.set_envs({"BENCH": "1"})
        .run_cmd("echo built > /opt/bench/marker", user="root")
        .run_cmd("python3 /opt/bench/app.py > /home/user/out.txt")
    )  # type: ignore[return-value]


def _serving() -> Template:
    server = "python3 -m http.server 8080 --directory /tmp"
    return Template().from_template("base").set_start_cmd(server, wait_for_port(8080))  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--rebuilds", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: hutch serve needs it")
    first = Server()
    first.start()
    conn = {"api_key": first.key, "domain": f"127.0.0.1:{first.port}"}
    with tempfile.TemporaryDirectory() as ctx:
        spec = _template(Path(ctx))
        t0 = time.perf_counter()
        info = Template.build(spec, alias="bench-template", **conn)
        first_build = (time.perf_counter() - t0) * 1000
        rebuilds = []
        for _ in range(args.rebuilds):
            t0 = time.perf_counter()
            Template.build(spec, alias="bench-template", **conn)
            rebuilds.append((time.perf_counter() - t0) * 1000)
    serving = Template.build(_serving(), alias="bench-serving", **conn)
    try:
        with httpx.Client(base_url=first.base_url, headers={"X-API-Key": first.key}, timeout=300) as c:
            for t in (info.template_id, serving.template_id):
                create_latency(c, 1, warm=True, template=t)  # its first use starts its pool
                while c.get(f"/templates/{t}").json()["warmSandboxes"] < 1:
                    time.sleep(0.2)
            warm: dict[str, list[float]] = {"base": [], info.template_id: [], serving.template_id: []}
            cold: dict[str, list[float]] = {"base": [], info.template_id: [], serving.template_id: []}
            for _ in range(args.samples):  # one of each in turn, so that the machine's load drifts for both alike
                for t in warm:
                    warm[t] += create_latency(c, 1, warm=True, template=t)
                    cold[t] += create_latency(c, 1, warm=False, template=t)
    finally:
        first.stop()
    print(f"templates benchmark ({os.cpu_count()} CPUs); ms: median, p95, min, n")
    print(f"{'first build (4 steps)':<40} {first_build:8.1f}")
    print(f"{'rebuild of the unchanged template':<40} {_summary(rebuilds)}")
    for kind, values in (("warm", warm), ("cold", cold)):
        base, custom = values["base"], values[info.template_id]
        print(f"{'create ' + kind + ', base':<40} {_summary(base)}")
        print(f"{'create ' + kind + ', built template':<40} {_summary(custom)}")
        print(f"{'  ratio built/base (medians)':<40} {statistics.median(custom) / statistics.median(base):8.2f}")
        print(f"{'create ' + kind + ', with a start command':<40} {_summary(values[serving.template_id])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
