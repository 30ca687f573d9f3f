"""Neuromorphic targets: each converts a run's NIR graph with the target's own toolchain and runs it.

The registry below is all the command line and `deploy` know of them: a new target is one module
`bioaware/targets/<name>.py` (with `check_limits(graph)` and `deploy(graph, layers, spikes, out_dir)`) and
one line here.
"""

TARGETS = {  # name → (toolchain, what `bioaware deploy --target <name>` runs)
    "loihi": ("Loihi 2 (Lava)", "Lava: float + bit-accurate fixed point"),
    "spinnaker": ("SpiNNaker (sPyNNaker / PyNN)", "sPyNNaker virtual-board mapping + PyNN on Brian2"),
    "speck": ("Speck (sinabs)", "sinabs (+ chip config with samna)"),
}
