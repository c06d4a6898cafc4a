"""Handlers of the stand-in service: tests register event types they need here."""

HANDLERS: dict = {}
