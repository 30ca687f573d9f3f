"""Status messages for users: one line each, on stderr, so stdout stays machine-readable."""

import sys


def info(message: str) -> None:
    print(f"[bioaware] {message}", file=sys.stderr, flush=True)
