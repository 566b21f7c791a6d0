"""Chart helpers shared by the PDF (and mirrored by static/console/charts.js)."""

from __future__ import annotations

import math


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def heat_color(share: float) -> tuple[int, int, int, bool]:
    """From pale to dark blue; ``True`` when white text is needed on it (WCAG AA contrast)."""
    share = max(0.0, min(1.0, share))
    light, dark = (239, 244, 251), (18, 52, 110)
    rgb = tuple(round(light[i] + (dark[i] - light[i]) * share) for i in range(3))
    return rgb[0], rgb[1], rgb[2], share >= 0.5
