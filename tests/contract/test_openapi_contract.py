"""Schemathesis (its CLI, `schemathesis run`) against a live `hutch serve`: every operation of
openapi.yaml with positive and negative inputs, in every phase (examples, coverage, fuzzing and the
stateful phase, which follows the spec's links from what one call makes to the calls that use it);
the run must report no failure of any check.

Bounded: a few examples per operation and a time budget the phases share (schemathesis repeats
fuzzing and stateful scenarios until it is spent). The hooks in contract_hooks.py point agent
operations at a real sandbox, clean up what cases create, and accept the few refusals of
schema-valid input the spec states in prose, each confirmed independently; schemathesis.toml holds
the stateful phase's settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[1] / "openapi.yaml"
MAX_TIME = os.environ.get("HUTCH_CONTRACT_MAX_TIME", "360")  # seconds; with server start ~7 min on 2 cores
CHECKS = os.environ.get("HUTCH_CONTRACT_CHECKS", "all")
# A fixed seed keeps `make test` reproducible (a finding shows up on every run until it is fixed, not
# on one run in three); HUTCH_CONTRACT_SEED=random explores new inputs, N replays a reported seed.
SEED = os.environ.get("HUTCH_CONTRACT_SEED", "210582427214642181413791169613283044335")
# Streams that never end (see the exclusions below).
ENDLESS_STREAMS = ("watchDir", "streamPtyOutput")

pytestmark = pytest.mark.integration


def test_openapi_contract(hutch_server, tmp_path):
    exe = Path(sys.executable).with_name("schemathesis")
    env = dict(os.environ)
    env.update(
        SCHEMATHESIS_HOOKS="contract_hooks",
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        HUTCH_CONTRACT_BASE_URL=hutch_server.base_url,
        HUTCH_CONTRACT_API_KEY=hutch_server.api_key,
    )
    argv = [
        str(exe), "--config-file", str(HERE / "schemathesis.toml"), "--no-color", "run", str(SPEC),
        "--url", hutch_server.base_url,
        "-H", f"X-API-Key: {hutch_server.api_key}",
        "--checks", CHECKS,
        # watchDir streams until the client leaves: schemathesis bounds only text/event-stream reads, so
        # every call would end in its read timeout. tests/integration covers it (and the pty stream).
        "--exclude-operation-id", ENDLESS_STREAMS[0],
        # Likewise a live terminal's output stream never ends (its shell waits for input).
        "--exclude-operation-id", ENDLESS_STREAMS[1],
        "--max-time", MAX_TIME,
        "--request-timeout", "60",
        "--workers", "1",
        "--generation-database", "none",
        *([] if SEED == "random" else ["--seed", SEED]),
        "--report", "junit,ndjson", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=int(MAX_TIME) + 300)
    out = proc.stdout + proc.stderr
    print(out[-20000:])
    try:
        assert proc.returncode == 0, out[-12000:]
        # Reported, not asserted: within the time budget the stateful phase follows a random share of
        # the links, so which pid-scoped operations meet a live process varies from run to run (that
        # every operation has a link is asserted by tests/unit/contract/test_links.py).
        operations = set(_operations().values()) - set(ENDLESS_STREAMS)
        reached = _answered_2xx(tmp_path)
        print(f"operations that answered 2xx: {len(reached & operations)} of {len(operations)}")
        print(f"never answered 2xx in this run: {sorted(operations - reached)}")
    finally:
        with hutch_server.http() as c:  # what the run left behind (later tests count disk promises)
            live = c.get("/sandboxes", params={"state": ["running", "paused"], "limit": 1000})
            for s in live.json()["sandboxes"]:
                c.delete(f"/sandboxes/{s['sandboxID']}")
            for v in c.get("/volumes").json():
                c.delete(f"/volumes/{v['volumeID']}", params={"force": "true"})


def _operations() -> dict[str, str]:
    """`METHOD /path` -> operationId, for every operation of the spec."""
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return {
        f"{method.upper()} {path}": op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    }


def _answered_2xx(report_dir: Path) -> set[str]:
    """operationIds that answered 2xx at least once in the run, from its NDJSON report."""
    labels = _operations()
    reached: set[str] = set()
    for report in report_dir.glob("*.ndjson"):
        for line in report.read_text().splitlines():
            event = json.loads(line).get("ScenarioFinished")
            recorder = (event or {}).get("recorder") or {}
            for case_id, interaction in (recorder.get("interactions") or {}).items():
                case = recorder["cases"][case_id]["value"]
                status = (interaction.get("response") or {}).get("status_code", 0)
                label = f"{case['method']} {case['path']}"
                if 200 <= status < 300 and label in labels:
                    reached.add(labels[label])
    return reached
