"""What the Settings form holds, apart from its widgets: each key's saved value, what the user
typed, and the problems to show.

Only the section on screen has widgets (a few hundred widgets cost seconds on every theme
change); they read and write this state, so edits survive moving between sections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tpm.ui.widgets.settings.layout import SECTIONS, SectionSpec
from tpm.ui.widgets.settings.schema import FieldSpec, fields_of, lookup, model_at

__all__ = ["FieldState", "FormState", "split_problem"]


def split_problem(line: str) -> tuple[str, str]:
    """ "config.toml: risk.x.y: reason" -> ("risk.x.y", "reason"); ("", line) if no key."""
    parts = line.split(": ", 2)
    if len(parts) == 3 and " " not in parts[1]:
        return parts[1], parts[2]
    return "", line


@dataclass(slots=True)
class FieldState:
    """One key: the saved value, what its control holds (`raw`) and the problem shown."""

    spec: FieldSpec
    original: Any
    raw: Any = None
    error: str = ""

    def __post_init__(self) -> None:
        self.original = self.spec.normal(self.original)
        self.raw = self.raw_of(self.original)

    def raw_of(self, value: Any) -> Any:
        """`value` as its control holds it: a bool, a choice, or text."""
        if self.spec.kind == "bool":
            return bool(value)
        if self.spec.kind == "choice":
            return value
        return self.spec.text(value)

    def parsed(self) -> Any:
        """The typed value; ValueError with a sentence when the text is not a valid value."""
        return self.spec.parse(self.raw)

    @property
    def is_changed(self) -> bool:
        try:
            return bool(self.parsed() != self.original)
        except ValueError:
            return True

    def load(self, value: Any) -> None:
        """`value` is the one saved: show it, dropping any edit and problem."""
        self.original = self.spec.normal(value)
        self.revert()

    def revert(self) -> None:
        self.raw = self.raw_of(self.original)
        self.error = ""


@dataclass(slots=True)
class FormState:
    """Every key of every section, in the order the form shows them."""

    fields: dict[str, FieldState] = field(default_factory=dict)
    group_errors: dict[str, str] = field(default_factory=dict)
    section_of: dict[str, str] = field(default_factory=dict)
    is_loaded: bool = False

    @classmethod
    def from_layout(cls, sections: Iterable[SectionSpec] = SECTIONS) -> FormState:
        """Every key the layout shows, holding its default until `load`."""
        state = cls()
        for section in sections:
            for group in section.groups:
                state.section_of[group.prefix] = section.id
                defaults = model_at(group.prefix).model_fields
                for spec in fields_of(group.prefix, group.skip):
                    state.fields[spec.key] = FieldState(spec, defaults[spec.name].default)
        return state

    def group(self, prefix: str) -> list[FieldState]:
        """The keys of the table `prefix`, in order."""
        return [f for key, f in self.fields.items() if key.rpartition(".")[0] == prefix]

    def load(self, settings: Mapping[str, Any]) -> None:
        """Take the configuration in force (`client.settings()`), dropping every edit."""
        for key, f in self.fields.items():
            try:
                f.load(lookup(settings, key))
            except KeyError:
                f.revert()  # an engine of another version: the key keeps its default
        self.group_errors.clear()
        self.is_loaded = True

    @property
    def changed(self) -> list[str]:
        """The keys edited since the last load or save."""
        return [key for key, f in self.fields.items() if f.is_changed]

    def revert(self) -> None:
        for f in self.fields.values():
            f.revert()
        self.group_errors.clear()

    def clear_errors(self) -> None:
        for f in self.fields.values():
            f.error = ""
        self.group_errors.clear()

    def collect(self) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """The edited keys' new values, their saved values, and the keys that do not parse
        (each given its problem)."""
        changes: dict[str, Any] = {}
        before: dict[str, Any] = {}
        bad: list[str] = []
        for key, f in self.fields.items():
            if not f.is_changed:
                continue
            try:
                changes[key] = f.parsed()
            except ValueError as exc:
                f.error = str(exc)
                bad.append(key)
            else:
                before[key] = f.original
        return changes, before, bad

    def saved(self, changes: Mapping[str, Any]) -> None:
        """`changes` were saved: they are the saved values now."""
        for key, value in changes.items():
            if key in self.fields:
                self.fields[key].original = self.fields[key].spec.normal(value)

    def place(self, message: str) -> tuple[list[str], list[str]]:
        """Attach each "file: key: reason" line of a ConfigError to its key or, failing that,
        to the nearest table that holds it. Returns the keys or tables placed, and the lines
        that matched neither."""
        placed: list[str] = []
        unmatched: list[str] = []
        for line in message.splitlines():
            key, reason = split_problem(line)
            if key in self.fields:
                self.fields[key].error = reason
                placed.append(key)
                continue
            parts = key.split(".") if key else []
            while parts and ".".join(parts) not in self.section_of:
                parts.pop()
            if parts:
                prefix = ".".join(parts)
                self.group_errors[prefix] = reason if prefix == key else f"{key}: {reason}"
                placed.append(prefix)
            else:
                unmatched.append(line)
        return placed, unmatched

    def section_holding(self, key: str) -> str | None:
        """The id of the section that shows `key` (a key or a table)."""
        parts = key.split(".")
        while parts:
            prefix = ".".join(parts)
            if prefix in self.section_of:
                return self.section_of[prefix]
            parts.pop()
        return None
