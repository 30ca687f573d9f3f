"""Run configs shipped inside the package (the demo's embedded default)."""
