"""The one exception type that reaches users as a one-line message and a non-zero exit."""


class BioawareError(Exception):
    """A user-facing error: say which file, what is wrong and what to do, in one line."""


class Interrupted(Exception):
    """Training stopped on SIGINT/SIGTERM after saving a checkpoint at batch `step`."""

    def __init__(self, phase: str, step: int):
        super().__init__(f"{phase}: interrupted at batch {step}; checkpoint saved")
        self.phase, self.step = phase, step
