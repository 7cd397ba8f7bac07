"""Helpers for the loss-landscape book."""
