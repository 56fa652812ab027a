"""Checks for chapter 01_sgd (being written)."""

__all__ = []
