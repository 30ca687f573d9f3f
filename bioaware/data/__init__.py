"""Datasets and spike encoders."""
