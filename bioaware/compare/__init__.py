"""Surrogate (discrete-time, trained) vs exact (Brian2) comparison: spike metrics, figures, report."""
