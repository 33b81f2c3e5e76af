"""Snapshots: pause and resume, manual snapshots, restoring after a kill, booting from a snapshot.

HUTCH_API_KEY=... python examples/snapshot_restore.py
"""

from hutch import Sandbox


def main() -> None:
    sbx = Sandbox.create(name="snapshot-demo", timeout=600)
    try:
        sbx.files.write("/home/user/state.txt", "version 1\n")
        sbx.pause()
        print("paused:", sbx.status(), "running:", sbx.is_running())
        sbx.resume()
        print("resumed:", sbx.status())

        snap = sbx.snapshot()  # manual snapshots accumulate and outlive the sandbox
        print("snapshot", snap.snapshot_id, snap.kind, snap.size_bytes, "bytes")
        sbx.files.write("/home/user/state.txt", "version 2\n")

        template = sbx.create_snapshot()  # can boot new sandboxes
        for s in sbx.list_snapshots():
            print("  have", s.kind, s.snapshot_id, s.created_at.isoformat())
    finally:
        sbx.kill()

    with Sandbox.restore(sbx.sandbox_id, snapshot_id=snap.snapshot_id) as restored:
        print("restored from the manual snapshot:", restored.files.read("/home/user/state.txt"), end="")

    with Sandbox.create(template=template.template_id) as child:
        print("booted from the template snapshot:", child.files.read("/home/user/state.txt"), end="")

    print("snapshot deleted:", Sandbox.delete_snapshot(snap.snapshot_id))


if __name__ == "__main__":
    main()
