"""Addresses and websites: "Consulting agency, Rue du Téris 45, 4100 Seraing" cut into a
description, a street address and a town; web addresses."""

from __future__ import annotations

import re

from assistant.core.addresses import names_a_street

POSTCODE_TOWN_RE = re.compile(r"(?:\b[A-Z]-)?\b(\d{4})\s+([A-ZÀ-Ý][^\d,;()]*?)\s*$")
HOUSE_NUMBER_RE = re.compile(r"\b\d{1,4}\b")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>)\]]+")


def split_address(rest: str) -> tuple[str, str, str]:
    """(description, address, town) of "Consulting agency, Rue du Téris 45, 4100 Seraing"."""
    segments = [s.strip() for s in rest.split(",")]
    for end, segment in enumerate(segments):
        town = POSTCODE_TOWN_RE.search(segment)
        if not town:
            continue
        start = end
        while start > 0 and (
            HOUSE_NUMBER_RE.search(segments[start - 1])
            or names_a_street(segments[start - 1])
        ):
            start -= 1
        if start == end and HOUSE_NUMBER_RE.search(segment[: town.start()]):
            pass  # "Chaussée de Haecht 579 1030 Schaerbeek": street and town in one piece
        address = ", ".join(segments[start : end + 1])
        description = ", ".join(segments[:start])
        return description, address, town.group(2).strip()
    return rest, "", ""
