"""Pure functions for neuron dynamics and surrogate gradients."""
