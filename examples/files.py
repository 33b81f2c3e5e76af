"""Files: text and bytes, streamed uploads and downloads, batches, listing, watching.

HUTCH_API_KEY=... python examples/files.py
"""

import hashlib
import io
import os
import tempfile

from hutch import FileNotFoundException, Sandbox, WriteEntry


def main() -> None:
    with Sandbox.create() as sbx:
        sbx.files.write("notes/todo.txt", "1. try hutch\n")  # relative: under /home/user
        print(sbx.files.read("notes/todo.txt"), end="")

        # A large local file streams up and down without being held in memory.
        with tempfile.TemporaryFile() as local:
            for _ in range(16):
                local.write(os.urandom(1024 * 1024))
            local.seek(0)
            digest = hashlib.sha256(local.read()).hexdigest()
            local.seek(0)
            info = sbx.files.write("/tmp/blob.bin", local)
        remote = hashlib.sha256()
        for chunk in sbx.files.read(info.path, format="stream"):
            remote.update(chunk)
        print("16 MiB round trip intact:", remote.hexdigest() == digest)

        sbx.files.write_files(
            [WriteEntry("/tmp/batch/a.txt", "a"), WriteEntry("/tmp/batch/b.bin", io.BytesIO(b"\x00\x01"))]
        )
        for entry in sbx.files.list("/tmp/batch"):
            print(f"  {entry.type:4} {entry.size:>3} {entry.path}")

        watch = sbx.files.watch_dir("/tmp/batch")
        sbx.files.write("/tmp/batch/c.txt", "new")
        sbx.files.rename("/tmp/batch/a.txt", "/tmp/batch/a2.txt")
        sbx.files.remove("/tmp/batch/b.bin")
        print("made dir:", sbx.files.make_dir("/tmp/batch/sub"), "again:", sbx.files.make_dir("/tmp/batch/sub"))
        for event in watch:
            print("  event:", event.type, event.name)
            if event.type == "create" and event.name == "sub":
                break
        watch.stop()

        try:
            sbx.files.read("/nope")
        except FileNotFoundException as e:
            print("missing file:", e)


if __name__ == "__main__":
    main()
