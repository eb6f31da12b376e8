"""Rendering: lessons into inline-styled HTML emails with plain-text twins, in two stages."""
