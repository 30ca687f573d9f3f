"""Python environments of their own beside the repository (`.venv-loihi`, `.venv-genn`, …), for the tools whose
pins cannot share bioaware's."""

from __future__ import annotations

import os
from pathlib import Path

from bioaware.core.errors import BioawareError

REPOSITORY = Path(__file__).resolve().parents[2]  # the checkout bioaware is installed from (editable install)


def interpreter(folder: str, variable: str, what: str, command: str) -> str:
    """The Python of the environment in `folder`: $`variable`, else `<folder>/bin/python` beside the repository
    (then in the working directory); a one-line error naming `what` and the `command` that makes it otherwise."""
    candidates = [Path(os.environ[variable])] if variable in os.environ else \
        [REPOSITORY / folder / "bin/python", Path.cwd() / folder / "bin/python"]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise BioawareError(f"{candidates[0]}: {what} not found; create it in {REPOSITORY} with `{command}` "
                            f"or set {variable}")
    return str(found)
