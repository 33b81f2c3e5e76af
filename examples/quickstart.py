"""hutch quick start (sync): create a sandbox, run a command, write and read a file, kill it.

Run a server first (`hutch serve`, or `make serve`), then:

    HUTCH_API_KEY=<the key hutch serve printed> python examples/quickstart.py

HUTCH_DOMAIN defaults to localhost:7420.
"""

from hutch import Sandbox


def main() -> None:
    with Sandbox.create(metadata={"example": "quickstart"}) as sbx:  # killed when the block ends
        print(f"sandbox {sbx.sandbox_id} is {sbx.status()}")

        result = sbx.commands.run("echo hello from $(hostname) && uname -sr")
        print(result.stdout, end="")

        sbx.files.write("/home/user/hello.py", "print('hello from a file')\n")
        print("read back:", sbx.files.read("/home/user/hello.py"), end="")
        print(sbx.commands.run("python3 /home/user/hello.py").stdout, end="")

        for entry in sbx.files.list("/home/user"):
            print(f"  {entry.permissions} {entry.size:>6} {entry.name}")
    print("killed")


if __name__ == "__main__":
    main()
