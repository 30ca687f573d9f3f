"""bioaware: spiking generative models from surrogate-gradient training to exact simulation.

Importing the package is light on purpose (no torch, no brian2): sub-packages that train
(`bioaware.train`, `bioaware.models`) or simulate import their heavy dependencies themselves.
"""

__version__ = "0.1.0"
