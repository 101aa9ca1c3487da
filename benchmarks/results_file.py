"""Writing a benchmark's results: the Markdown table with its command, and the JSON."""

import json
import pathlib
import shlex
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
RESULTS_PART = "benchmarks/results/"


def shown_path(text):
    """A path as results files name it: one into some checkout's `benchmarks/results/`
    from the repository root (a run from a frozen worktree that writes into the main
    checkout names its files as a user's checkout has them); any other text as given."""
    if text.startswith("/") and "/" + RESULTS_PART in text:
        return RESULTS_PART + text.split("/" + RESULTS_PART, 1)[1]
    return text


def command_text(script, argv):
    """The command line of a results file, quoted for a shell: `python script argv...`,
    paths into `benchmarks/results/` as `shown_path` writes them."""
    return shlex.join(["python", script, *map(shown_path, argv)])


def write_results(lines, results, script, output=None, default_name=None, echo=True):
    """Appends the command to `lines`, prints them and writes `NAME.md` and `NAME.json`.

    Args:
        lines: list of str, the Markdown report (the table).
        results: JSON-ready list or dict, everything measured.
        script: str, the script's path from the repository root (for the command).
        output: optional path without suffix; default `benchmarks/results/default_name`.
        default_name: the file name without suffix when `output` is not given.
        echo: bool, print the report (a driver that rewrites its files after every
            run passes False).

    Returns:
        The Markdown path.
    """
    command = command_text(script, sys.argv[1:])
    table = "\n".join([*lines, "", f"Command: `{command}`"])
    if echo:
        print(table)
    output = pathlib.Path(output) if output else RESULTS / default_name
    output.parent.mkdir(parents=True, exist_ok=True)
    markdown = output.parent / f"{output.name}.md"
    markdown.write_text(table + "\n", encoding="utf-8")
    (output.parent / f"{output.name}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return markdown
