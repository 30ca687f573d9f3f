"""NIR interchange: model layer specs ↔ NIR graphs (continuous-time semantics, HDF5 files)."""
