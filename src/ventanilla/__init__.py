"""Ventanilla: a self-hosted citizen-service chat for public entities."""

__version__ = "0.1.0"
