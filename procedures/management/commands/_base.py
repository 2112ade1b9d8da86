"""Shared helpers for the procedures commands: turn domain errors into a
readable, non-zero exit."""

from __future__ import annotations

from django.core.management.base import CommandError

from config.errors import DomainError


def domain_error_to_command_error(error: DomainError) -> CommandError:
    lines = [error.message]
    fields = getattr(error, "fields", {}) or {}
    for path, problems in fields.items():
        for problem in problems:
            lines.append(f"  - {path}: {problem['message']}")
    return CommandError("\n".join(lines))
