"""Training: losses, metrics, the shared loop, checkpoints and run directories."""
