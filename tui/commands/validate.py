"""Placeholder: the 'validate' commands are registered here."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this module's subcommands to the `tunedeck` parser."""
