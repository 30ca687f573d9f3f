"""Brian2 equation strings, one file per neuron model (installed as the package `bioaware.equations`)."""
