"""Exact continuous-time simulation of NIR layer specs in Brian2 (equations from equations/*.eqs)."""
