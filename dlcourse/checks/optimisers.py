"""Checks for chapter 04_optimisers (being written)."""

__all__ = []
