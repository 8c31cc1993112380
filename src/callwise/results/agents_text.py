"""The agents' results as a table a supervisor reads, in zh-CN or English."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t


def _num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def agents_text(result: dict[str, Any], lang: str) -> str:
    """Agents ranked by fair score, then the teams; small-sample agents marked."""
    if not result["agents"]:
        return t("results_agents.no_calls", lang)
    level = f"{100 * (1 - result['alpha']):.0f}%"
    lines = [t("results_agents.title", lang, level=level)]
    if result["calibration"]["method"] == "pooled_rate":
        lines.append(t("results_agents.no_scores", lang))
    prior = result["prior"]
    lines.append(t("results_agents.prior", lang, mean=_num(prior["mean"]), sd=_num(prior["sd"]), n=prior["agents"]))
    lines.append(t("results_agents.header", lang))
    few = t("results_agents.few", lang, n=result["min_connects"])
    for a in result["agents"]:
        cells = [
            a["agent_id"],
            a["team"] or t("results_agents.no_team", lang),
            str(a["dials"]),
            str(a["connects"]),
            _pct(a["contact_rate"]),
            _num(a["talk_seconds"] / 60, 1),
            _num(a["aht_seconds"], 0),
            str(a["conversions"]),
            _pct(a["conversion_per_connect"]),
            str(a["complaints"]),
            f"{a['observed']:.0f}/{a['expected']:.1f}",
            f"{_num(a['fair_score'])} [{_num(a['fair_lower'])}, {_num(a['fair_upper'])}]",
            str(a["fair_rank"]),
            str(a["raw_rank"]),
        ]
        lines.append(" | ".join(cells) + (few if a["few_connects"] else ""))
    lines += ["", t("results_agents.teams", lang), t("results_agents.team_header", lang)]
    for team in result["teams"]:
        cells = [
            team["team"] or t("results_agents.no_team", lang),
            str(team["agents"]),
            str(team["dials"]),
            str(team["connects"]),
            _pct(team["contact_rate"]),
            _num(team["aht_seconds"], 0),
            str(team["conversions"]),
            _pct(team["conversion_per_connect"]),
            str(team["complaints"]),
            f"{_num(team['ratio'])} [{_num(team['ratio_lower'])}, {_num(team['ratio_upper'])}]",
        ]
        lines.append(" | ".join(cells))
    return "\n".join(lines)
