"""Models (Norse style: pure dynamics in `functional/`, thin `nn.Module` wrappers here)."""
