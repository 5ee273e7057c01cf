"""Which config tables the Settings form shows, in which section, under which heading."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from tpm.config import RiskConfig

__all__ = ["SECTIONS", "GroupSpec", "SectionSpec"]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One config table: its heading, its dotted name, keys left out, whether to show a sum."""

    title: str
    prefix: str
    skip: frozenset[str] = frozenset()
    total: bool = False


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One page of the form: an id, its title in the list, a line of context, its tables."""

    id: str
    title: str
    note: str
    groups: tuple[GroupSpec, ...] = ()


def _risk_groups() -> tuple[GroupSpec, ...]:
    # Every check of [risk], in the model's order, so a new check shows up here by itself.
    return tuple(
        GroupSpec(name.replace("_", " ").capitalize(), f"risk.{name}")
        for name, info in RiskConfig.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    )


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "data",
        "Data source",
        "Where market data, headlines and company figures come from. "
        "Changes take effect at the next start.",
        (
            GroupSpec("Market feed", "feed"),
            GroupSpec("Simulated market", "feed.sim"),
            GroupSpec("Replay", "feed.replay"),
            GroupSpec("News", "news"),
            GroupSpec("Fundamentals", "fundamentals"),
            GroupSpec("SEC EDGAR", "fundamentals.edgar"),
        ),
    ),
    SectionSpec(
        "broker",
        "Broker",
        "Where orders go and how the paper broker fills them. "
        "Changes take effect at the next start.",
        (GroupSpec("Broker", "broker"), GroupSpec("Paper broker", "broker.paper")),
    ),
    SectionSpec(
        "risk",
        "Risk limits",
        "Every order is checked against these before it is sent. Saved limits are in force "
        "at once; loosening a limit or switching a check off asks first.",
        _risk_groups(),
    ),
    SectionSpec(
        "scores",
        "Scores",
        "How the composite weighs the three pillars and where each rating starts. "
        "In force at once.",
        (
            GroupSpec("Scoring", "scores"),
            GroupSpec("Pillar weights", "scores.weights", total=True),
            GroupSpec("Rating bands", "scores.ratings"),
        ),
    ),
    SectionSpec(
        "theme",
        "Theme",
        "Enter applies a theme at once and keeps it for the next start.",
    ),
    SectionSpec(
        "notifications",
        "Notifications",
        "Which events pop up a note; every one is listed on the dashboard either way.",
        (GroupSpec("Pop-up notes", "ui", skip=frozenset({"theme"})),),
    ),
)
