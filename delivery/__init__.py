"""Delivery backends: one module per provider behind the small interface in `base`."""
