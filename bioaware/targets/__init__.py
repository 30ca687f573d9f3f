"""Neuromorphic targets: each converts a run's NIR graph with the target's own toolchain and runs it."""
