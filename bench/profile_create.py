"""Where a cold create's milliseconds go, phase by phase, in the runtime (the server adds its own:
`bench_table.py`'s cold create minus this total).

    .venv/bin/python bench/profile_create.py [--runs 20] [--internet] [--data-dir DIR]

Each phase is a function of the runtime wrapped with a timer; medians of `--runs` starts. With
`--internet`, slirp4netns and the egress table are set up while the agent starts, so the phases
overlap and add up to more than the total.
"""

from __future__ import annotations

import argparse
import collections
import functools
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hutchd.runtime import Runtime, SandboxSpec, cgroups, egress, launcher, network, overlay, sandboxfs
from hutchd.runtime import runtime as runtime_module

BASE_TEMPLATE = Path("/var/tmp/hutch-test-server/templates/base")
spent: dict[str, list[float]] = collections.defaultdict(list)


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name].append((time.perf_counter() - t) * 1000)

    return wrapper


def instrument() -> None:
    sandboxfs.SandboxFS.prepare = timed("upper dir + disk image, loop device", sandboxfs.SandboxFS.prepare)  # type: ignore[method-assign]
    cgroups.SandboxCgroups.create = timed("cgroups", cgroups.SandboxCgroups.create)  # type: ignore[method-assign]
    runtime_module.overlay.mount = timed("overlay mount", overlay.mount)
    runtime_module.launcher.launch = timed("bwrap launch (namespaces, seccomp)", launcher.launch)
    runtime_module.Runtime._wait_ready = timed("agent start until /health", runtime_module.Runtime._wait_ready)  # type: ignore[method-assign]
    runtime_module.launcher.wait_set_up = timed("bwrap set-up, until it forks the agent", launcher.wait_set_up)
    runtime_module.network.spawn_slirp = timed("slirp4netns spawn, into the cgroups", network.spawn_slirp)
    network.Slirp.wait_ready = timed("slirp4netns ready, after the egress attach", network.Slirp.wait_ready)  # type: ignore[method-assign]
    egress.Egress.attach = timed("egress table, resolver (slirp starting)", egress.Egress.attach)  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--internet", action="store_true")
    ap.add_argument("--data-dir", type=Path, default=Path("/var/tmp/hutch-bench-profile"))
    args = ap.parse_args()
    import hutch_agent

    base = args.data_dir / "templates" / "base"
    if not base.exists() and (BASE_TEMPLATE / "meta.json").exists():  # never build it here: copy the tests'
        base.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", "--reflink=auto", str(BASE_TEMPLATE), str(base)], check=True)
    rt = Runtime(args.data_dir, agent_src=Path(hutch_agent.__file__).parent)
    rt.templates.ensure("base")
    instrument()
    total, destroy = [], []
    for i in range(args.runs + 1):
        sid = f"prof-{uuid.uuid4().hex[:8]}"
        t = time.perf_counter()
        rt.start(SandboxSpec(sandbox_id=sid, allow_internet=args.internet))
        t1 = time.perf_counter()
        rt.destroy(sid)
        if i == 0:
            spent.clear()
            continue
        total.append((t1 - t) * 1000)
        destroy.append((time.perf_counter() - t1) * 1000)
    for name, values in spent.items():
        print(f"{name:44s} {statistics.median(values):7.1f} ms")
    print(f"{'start, in all':44s} {statistics.median(total):7.1f} ms")
    print(f"{'destroy':44s} {statistics.median(destroy):7.1f} ms")
    rt.close()


if __name__ == "__main__":
    main()
