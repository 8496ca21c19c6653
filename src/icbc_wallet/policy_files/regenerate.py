"""Rewrite the shipped preset files from the Python presets: ``python -m icbc_wallet.policy_files.regenerate``.

Run it after changing a preset (or the file format) and commit the files it names; the test that
compares the files with the presets says so when they differ. It writes into the package's own
``presets`` directory (``src/icbc_wallet/policy_files/presets`` in a checkout), or into the
directory given as its argument.
"""

from __future__ import annotations

import sys
from pathlib import Path

from icbc_wallet.policy_files.shipped import preset_names, preset_path, preset_text

__all__ = ["main", "regenerate"]


def regenerate(directory: Path | None = None) -> list[Path]:
    """Write every preset's file into ``directory`` (the package's by default).

    Returns:
        The files whose content changed (or that were created), sorted by name.
    """
    changed = []
    for name in preset_names():
        target = preset_path(name) if directory is None else directory / f"{name}.toml"
        text = preset_text(name)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
            changed.append(target)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Regenerate the files (into ``argv[0]`` if given) and say which changed; exit status 0."""
    arguments = sys.argv[1:] if argv is None else argv
    changed = regenerate(Path(arguments[0]) if arguments else None)
    for path in changed:
        print(f"rewrote {path}")  # a developer's command: its output is the point
    if not changed:
        print("the preset files are up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover  # run as a module
    raise SystemExit(main())
