"""Subscribers: the store, double opt-in, unsubscribe, suppression, import, export, erase."""
