"""E2B code-interpreter code with only its import changed: one sandbox of the `code-interpreter`
template, a cell in each of its languages, live output through E2B's `OutputMessage`, and a timeout
that raises `TimeoutException` while the context keeps its state. Run a server first (`make serve`):

    HUTCH_API_KEY=<the key hutch serve printed> python examples/languages.py
"""

import sys

from hutch.code_interpreter import OutputMessage, Sandbox, TimeoutException

CELLS = {
    "python": "import sys\nprint('python', sys.version.split()[0])\nsum(range(10))",
    "javascript": "console.log('node', process.version); [1, 2, 3].map((x) => x * 2)",
    "typescript": "const greet = (name: string): string => `hello ${name}`;\ngreet('typescript')",
    "r": "cat('R', R.version$major, '\\n')\nsummary(c(1, 2, 3, 4))",
    "java": 'System.out.println("java " + Runtime.version().feature());\nMath.max(3, 7)',
    "bash": "echo bash $BASH_VERSION | cut -d. -f1-2",
}


def live(message: OutputMessage) -> None:
    """Each chunk as the sandbox read it (a line, or less: R's `cat` writes piece by piece)."""
    print(message.line, end="", file=sys.stderr if message.error else sys.stdout, flush=True)


def main() -> None:
    with Sandbox.create() as sbx:
        for language, code in CELLS.items():
            print(f"--- {language}")
            execution = sbx.run_code(code, language=language, on_stdout=live, on_stderr=live, timeout=120)
            if execution.error is not None:
                raise SystemExit(f"{language} failed: {execution.error.name}: {execution.error.value}")
            if execution.text is not None:
                print(f"  result: {execution.text}")
        sbx.run_code("kept <- 'still here'", language="r")
        try:
            sbx.run_code("repeat {}", language="r", timeout=2)
        except TimeoutException:
            print("--- the endless R loop timed out; the context kept:", sbx.run_code("kept", language="r").text)


if __name__ == "__main__":
    main()
