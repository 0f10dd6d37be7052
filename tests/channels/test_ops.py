"""Ops files: Prometheus alert rules (schema-checked: promtool is not installed) and the Grafana
dashboard; both may only use metrics and labels the code really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import tgassist.ai.metrics
import tgassist.channels.metrics
import tgassist.core.metrics  # noqa: F401  (registers the metrics)

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "ops" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "dashboards" / "pipeline.json"
METRIC_RE = re.compile(r"\btgassist_[a-z0-9_]+")
GROUPING_RE = re.compile(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)")
MATCHER_RE = re.compile(r"(tgassist_[a-z0-9_]+)\{([^}]*)\}")
DURATION_RE = re.compile(r"^\d+[smhd]$")
REQUIRED_ALERTS = {
    "lag",
    "backlog",
    "deadletter",
    "errorrate",
    "visionbudget",
    "albumassemblystuck",
}


def _collectors() -> dict[str, object]:
    return dict(REGISTRY._names_to_collectors)  # every exported sample name → its metric


def _labels(metric: str) -> set[str]:
    collector = _collectors()[metric]
    labels = set(getattr(collector, "_labelnames", ()))
    return labels | ({"le"} if metric.endswith("_bucket") else set())


def check_expr(expr: str) -> None:
    names = set(METRIC_RE.findall(expr))
    assert names, f"no tgassist metric in {expr!r}"
    known = _collectors()
    unknown = sorted(n for n in names if n not in known)
    assert not unknown, f"unknown metrics {unknown} in {expr!r}"
    assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}")
    available = set().union(*(_labels(n) for n in names))
    for group in GROUPING_RE.findall(expr):
        for label in filter(None, (x.strip() for x in group.split(","))):
            assert label in available, f"label {label!r} not exported by {sorted(names)} ({expr!r})"
    for metric, matchers in MATCHER_RE.findall(expr):
        for m in filter(None, (x.strip() for x in matchers.split(","))):
            label = re.split(r"=~|!=|!~|=", m)[0].strip()
            assert label in _labels(metric), f"{metric} has no label {label!r}"


def test_every_alert_rule_is_well_formed_and_uses_real_metrics() -> None:
    doc = yaml.safe_load(ALERTS.read_text())
    assert set(doc) == {"groups"}
    names = []
    for group in doc["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", rule["alert"])
            assert DURATION_RE.match(str(rule.get("for", "0m"))), rule["alert"]
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            check_expr(rule["expr"])
            names.append(rule["alert"])
    assert len(names) == len(set(names))
    flat = {n.lower().replace("tgassist", "") for n in names}
    for topic in REQUIRED_ALERTS:  # each failure mode of the pipeline has an alert
        assert any(topic in n for n in flat), topic


@pytest.mark.parametrize(
    "bad",
    [
        "tgassist_no_such_metric > 1",
        "sum by (nolabel) (tgassist_stream_lag) > 1",
        'tgassist_albums_pending{stream="x"} > 0',
    ],
)
def test_the_checker_rejects_unknown_metrics_and_labels(bad: str) -> None:
    with pytest.raises(AssertionError):
        check_expr(bad)


def test_dashboard_has_a_panel_for_every_metric_and_a_sane_layout() -> None:
    dash = json.loads(DASHBOARD.read_text())
    panels = dash["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    used: set[str] = set()
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['title']!r} overlaps another"
                cells.add((x, y))
        if p["type"] == "row":
            continue
        assert p["targets"], p["title"]
        for t in p["targets"]:
            check_expr(t["expr"])
            used |= {
                re.sub(r"_(bucket|sum|count|total)$", "", n) for n in METRIC_RE.findall(t["expr"])
            }
    modules = (tgassist.core.metrics, tgassist.channels.metrics, tgassist.ai.metrics)
    exported = {
        obj._name
        for m in modules
        for obj in vars(m).values()
        if hasattr(obj, "_name") and str(getattr(obj, "_name", "")).startswith("tgassist_")
    }
    missing = sorted(exported - used)
    assert not missing, f"metrics without a dashboard panel: {missing}"
