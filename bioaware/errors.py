"""The one exception type that reaches users as a one-line message and a non-zero exit."""


class BioawareError(Exception):
    """A user-facing error: say which file, what is wrong and what to do, in one line."""
