"""A self-contained HTML report of an eval run: summary, charts (inline SVG/CSS), per-question table."""

from __future__ import annotations

import time
from collections import defaultdict
from html import escape
from pathlib import Path

from evals.compare import ABSOLUTE, format_metric
from evals.metrics import percentile

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;
 color:#1d2430;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}
.meta{color:#667}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{border:1px solid #dde;border-radius:8px;padding:8px 12px}.card b{font-size:20px;display:block}
.card span{color:#667;font-size:12px}
.bars{display:grid;grid-template-columns:220px 1fr 70px;gap:4px 10px;align-items:center}
.track{background:#eef0f5;border-radius:4px;height:16px;overflow:hidden}
.fill{background:#3b6fd8;height:100%}.fill.bad{background:#d9534f}.fill.mid{background:#e0a030}
.scroll{max-height:420px;overflow:auto;border:1px solid #eee;padding:6px}
table.cases{border-collapse:collapse;width:100%;font-size:13px;table-layout:fixed;
 overflow-wrap:anywhere}
.cases th,.cases td{border-bottom:1px solid #e4e6ee;padding:6px;vertical-align:top;text-align:left}
.cases th{background:#f5f6fa;position:sticky;top:0}
.pass{color:#1e7d32;font-weight:600}.fail{color:#c62828;font-weight:600}
tr.failed{background:#fff6f6}.cite{margin:2px 0;color:#334}.src{color:#667;font-size:12px}
mark{background:#ffe58a}.small{font-size:12px;color:#667}
.better{color:#1e7d32}.worse{color:#c62828}
"""
RATE_KEYS = ("passed", "answer_contains", "first_citation_contains", "any_citation_contains",
             "source_at_1", "source_recall_at_k", "source_mrr", "context_hit", "abstention",
             "false_abstention", "judged_faithfulness", "judged_relevancy")


def _bar(label: str, value: float, text: str, good_high: bool = True) -> str:
    share = max(0.0, min(1.0, value))
    quality = share if good_high else 1 - share
    cls = "" if quality >= 0.7 else " mid" if quality >= 0.4 else " bad"
    return (f'<div>{escape(label)}</div><div class="track"><div class="fill{cls}" '
            f'style="width:{share * 100:.1f}%"></div></div><div>{escape(text)}</div>')


def metric_bars(summary: dict) -> str:
    """Horizontal bars for the rate metrics."""
    rows = [_bar(k, summary[k], format_metric(k, summary[k]), k != "false_abstention")
            for k in RATE_KEYS if k in summary]
    return f'<div class="bars">{"".join(rows)}</div>'


def latency_histogram(latencies: list[float], bins: int = 20, width: int = 720,
                      height: int = 180) -> str:
    """An inline SVG histogram of per-question latency (ms); values past the 99th percentile
    share the last bar, so one slow outlier does not flatten the rest."""
    if not latencies:
        return "<p class=small>no latencies</p>"
    low, high = min(latencies), max(latencies)
    clipped = len(latencies) >= 100 and percentile(latencies, 99) < high
    if clipped:
        high = percentile(latencies, 99)
    span = (high - low) or 1.0
    counts = [0] * bins
    for value in latencies:
        counts[max(0, min(bins - 1, int((value - low) / span * bins)))] += 1
    top, pad, slot = max(counts), 30, (width - 40) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + pad}" '
             f'role="img" aria-label="latency histogram">']
    for i, count in enumerate(counts):
        h = (height - 10) * count / top
        x = 40 + i * slot
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{slot - 2:.1f}" '
                     f'height="{h:.1f}" fill="#3b6fd8"><title>{low + i * span / bins:.0f}–'
                     f'{low + (i + 1) * span / bins:.0f} ms: {count}</title></rect>')
    parts.append(f'<line x1="40" y1="{height}" x2="{width}" y2="{height}" stroke="#889"/>')
    for frac in (0, 0.5, 1):
        x = 40 + frac * (width - 40 - 2)
        anchor = "start" if frac == 0 else "end" if frac == 1 else "middle"
        parts.append(f'<text x="{x:.0f}" y="{height + 18}" font-size="12" text-anchor="{anchor}" '
                     f'fill="#556">{"≥ " if clipped and frac == 1 else ""}{low + frac * span:.0f} ms'
                     f'</text>')
    parts.append(f'<text x="34" y="14" font-size="12" text-anchor="end" fill="#556">{top}</text>'
                 f'<text x="34" y="{height}" font-size="12" text-anchor="end" fill="#556">0</text>')
    return "".join(parts) + "</svg>"


def source_hits(rows: list[dict]) -> list[tuple[str, int, float]]:
    """Per gold source: (source, answerable cases, share passed), worst first."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        if row.get("source") and row.get("answerable"):
            groups[row["source"]].append(bool(row.get("passed")))
    return sorted(((s, len(v), sum(v) / len(v)) for s, v in groups.items()),
                  key=lambda t: (t[2], -t[1], t[0]))


def _source_section(rows: list[dict]) -> str:
    hits = source_hits(rows)
    if not hits:
        return ""
    bars = "".join(_bar(f"{src} ({n})", share, f"{share:.0%}") for src, n, share in hits)
    return (f"<h2>Hit rate by gold source</h2><p class=small>{len(hits)} source(s), worst first; "
            f"share of answerable questions passed (questions per source in brackets).</p>"
            f'<div class="scroll"><div class="bars">{bars}</div></div>')


def _highlight(citation: dict) -> str:
    text, span = citation.get("text", ""), citation.get("highlight")
    if isinstance(span, (list, tuple)) and len(span) == 2 and 0 <= span[0] < span[1] <= len(text):
        return (escape(text[:span[0]]) + "<mark>" + escape(text[span[0]:span[1]]) + "</mark>"
                + escape(text[span[1]:]))
    return escape(text)


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _case_row(row: dict) -> str:
    ok = bool(row.get("passed"))
    cites = "".join(
        f'<div class="cite">[{escape(str(c.get("id", "")))}] {_highlight(c)} '
        f'<span class="src">{escape(str(c.get("source", "")))} '
        f'{escape(str(c.get("start", "")))}–{escape(str(c.get("end", "")))}</span></div>'
        for c in row.get("citations", []))
    expected = " | ".join(row.get("expected") or []) if row.get("answerable") else "(unanswerable)"
    flags = [k for k in ("first_citation_contains", "any_citation_contains", "source_at_1")
             if k in row and row[k]]
    return (f'<tr class="{"passed" if ok else "failed"}"><td>{escape(str(row.get("id", "")))}</td>'
            f'<td class="{"pass" if ok else "fail"}">{"pass" if ok else "FAIL"}</td>'
            f'<td>{escape(row.get("question", ""))}<div class="small">expected: '
            f'{escape(expected)}</div><div class="small">{escape(", ".join(flags))}</div></td>'
            f'<td>{"<i>abstained</i> " if row.get("abstained") else ""}'
            f'{escape(_clip(row.get("answer", "")))}</td><td>{cites or "<i>none</i>"}</td>'
            f'<td>{row.get("latency_ms", 0):.0f}</td></tr>')


def _comparison_section(comparison: dict | None, old_name: str) -> str:
    if not comparison:
        return ""
    rows = "".join(
        f'<tr><td>{escape(d["metric"])}</td><td>{format_metric(d["metric"], d["old"])}</td>'
        f'<td>{format_metric(d["metric"], d["new"])}</td><td class="{d["change"]}">'
        f'{d["delta"]:+g}</td></tr>' for d in comparison["deltas"])
    regressed = "".join(f'<li>{escape(str(c["id"]))}: {escape(c["question"])}</li>'
                        for c in comparison["regressed"])
    return (f"<h2>Compared with {escape(old_name)}</h2><table class=cases><tr><th>metric</th>"
            f"<th>old</th><th>new</th><th>delta</th></tr>{rows}</table>"
            f"<p>{len(comparison['regressed'])} regressed, {len(comparison['improved'])} improved"
            f"</p><ul>{regressed}</ul>")


def tradeoff(rows: list[dict], steps: int = 50) -> list[tuple[float, float, float]]:
    """(threshold, false abstention, abstention on unanswerable) as the abstention threshold
    moves from 0 to 1, from each case's ``confidence``; [] unless the suite has answerable and
    unanswerable cases with confidences."""
    scored = [r for r in rows if r.get("confidence") is not None]
    yes = [r["confidence"] for r in scored if r["answerable"]]
    no = [r["confidence"] for r in scored if not r["answerable"]]
    if not yes or not no:
        return []
    return [(t, sum(c < t for c in yes) / len(yes), sum(c < t for c in no) / len(no))
            for t in (i / steps for i in range(steps + 1))]


def tradeoff_plot(rows: list[dict], width: int = 420, height: int = 300) -> str:
    """An inline SVG: abstention on unanswerable questions against answerable ones refused,
    as the threshold moves (the run's own threshold is the point where the rates now stand)."""
    curve = tradeoff(rows)
    if not curve:
        return ""
    pad = 40
    w, h = width - 2 * pad, height - 2 * pad

    def xy(fa: float, ab: float) -> str:
        return f"{pad + fa * w:.1f},{pad + (1 - ab) * h:.1f}"

    points = " ".join(xy(fa, ab) for _, fa, ab in curve)
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    now_fa = sum(r["abstained"] for r in answerable) / len(answerable)
    now_ab = sum(r["abstained"] for r in unanswerable) / len(unanswerable)
    ticks = "".join(
        f'<text x="{pad + v * w:.0f}" y="{height - pad + 16}" font-size="11" text-anchor="middle">'
        f'{v:.0%}</text><text x="{pad - 6}" y="{pad + (1 - v) * h + 4:.0f}" font-size="11" '
        f'text-anchor="end">{v:.0%}</text>' for v in (0, 0.25, 0.5, 0.75, 1))
    cx, cy = xy(now_fa, now_ab).split(",")
    return (f'<h2>Abstention trade-off</h2><p class="small">As the abstention threshold moves: '
            f'unanswerable questions abstained (up) against answerable questions refused (right), '
            f'from each answer\'s confidence. The dot is this run ({now_ab:.1%} abstained, '
            f'{now_fa:.1%} refused).</p>'
            f'<svg width="{width}" height="{height}" role="img" aria-label="abstention trade-off">'
            f'<rect x="{pad}" y="{pad}" width="{w}" height="{h}" fill="#fafbfd" stroke="#ccd"/>'
            f'{ticks}<polyline fill="none" stroke="#3b6fd8" stroke-width="2" points="{points}"/>'
            f'<circle cx="{cx}" cy="{cy}" r="5" fill="#d9534f"/>'
            f'<text x="{pad + w / 2}" y="{height - 6}" font-size="12" text-anchor="middle">'
            f'answerable refused</text><text x="12" y="{pad + h / 2}" font-size="12" '
            f'text-anchor="middle" transform="rotate(-90 12 {pad + h / 2})">unanswerable '
            f'abstained</text></svg>')


def reliability_plot(rows: list[dict], size: int = 300) -> str:
    """An inline SVG: the answered questions' confidence (binned) against how often their first
    citation was right; a calibrated confidence lies on the diagonal."""
    from evals.metrics import calibration, confidence_pairs

    pairs = confidence_pairs(rows)
    if len(pairs) < 20:
        return ""
    error, curve = calibration(pairs)
    pad = 40
    w = size - 2 * pad

    def xy(p: float, share: float) -> str:
        return f"{pad + p * w:.1f},{pad + (1 - share) * w:.1f}"

    dots = "".join(f'<circle cx="{xy(p, s).split(",")[0]}" cy="{xy(p, s).split(",")[1]}" '
                   f'r="{3 + min(6, n ** 0.5 / 3):.1f}" fill="#3b6fd8" fill-opacity="0.7">'
                   f'<title>{n} answers, confidence {p:.2f}, right {s:.0%}</title></circle>'
                   for p, s, n in curve)
    line = " ".join(xy(p, s) for p, s, _ in curve)
    ticks = "".join(
        f'<text x="{pad + v * w:.0f}" y="{size - pad + 16}" font-size="11" text-anchor="middle">'
        f'{v:.1f}</text><text x="{pad - 6}" y="{pad + (1 - v) * w + 4:.0f}" font-size="11" '
        f'text-anchor="end">{v:.0%}</text>' for v in (0, 0.25, 0.5, 0.75, 1))
    return (f'<h2>Calibration</h2><p class="small">The answered questions binned by their '
            f'confidence (across) against the share whose first citation holds a gold answer '
            f'(up); dots on the dashed diagonal are calibrated. Expected calibration error '
            f'{error:.3f} over {len(pairs)} answers.</p>'
            f'<svg width="{size}" height="{size}" role="img" aria-label="reliability curve">'
            f'<rect x="{pad}" y="{pad}" width="{w}" height="{w}" fill="#fafbfd" stroke="#ccd"/>'
            f'<line x1="{pad}" y1="{pad + w}" x2="{pad + w}" y2="{pad}" stroke="#999" '
            f'stroke-dasharray="4 3"/>{ticks}<polyline fill="none" stroke="#3b6fd8" '
            f'points="{line}"/>{dots}<text x="{pad + w / 2}" y="{size - 6}" font-size="12" '
            f'text-anchor="middle">confidence</text></svg>')


def render_report(name: str, summary: dict, rows: list[dict], comparison: dict | None = None,
                  old_name: str = "", gate_failures: list[str] | None = None) -> str:
    """The whole report as one HTML string (no external assets)."""
    cards = "".join(f'<div class="card"><b>{format_metric(k, v)}</b><span>{escape(k)}</span></div>'
                    for k, v in summary.items())
    failed = [r for r in rows if not r.get("passed")]
    ordered = failed + [r for r in rows if r.get("passed")]
    gates = "".join(f'<p class="fail">gate failed: {escape(g)}</p>' for g in gate_failures or [])
    latencies = [r["latency_ms"] for r in rows if "latency_ms" in r]
    note = ", ".join(f"{k} {format_metric(k, summary[k])}" for k in sorted(ABSOLUTE & set(summary)))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>citeqa eval: '
        f'{escape(name)}</title><style>{CSS}</style></head><body>'
        f'<h1>citeqa eval: {escape(name)}</h1><p class="meta">{len(rows)} cases, {len(failed)} '
        f'failed · {escape(time.strftime("%Y-%m-%d %H:%M"))} · {escape(note)}</p>{gates}'
        f'<h2>Summary</h2><div class="grid">{cards}</div>'
        f'<h2>Metrics</h2>{metric_bars(summary)}'
        f'<h2>Latency per question</h2>{latency_histogram(latencies)}{tradeoff_plot(rows)}'
        f'{reliability_plot(rows)}'
        f'{_source_section(rows)}{_comparison_section(comparison, old_name)}'
        f'<h2>Questions (failures first)</h2><table class="cases"><colgroup><col style="width:7%">'
        f'<col style="width:5%"><col style="width:22%"><col style="width:28%"><col style="width:33%">'
        f'<col style="width:5%"></colgroup><tr><th>id</th><th>result</th><th>question</th>'
        f'<th>answer</th><th>citations</th><th>ms</th></tr>'
        f'{"".join(_case_row(r) for r in ordered)}</table></body></html>')


def write_report(path: str | Path, name: str, summary: dict, rows: list[dict], **extra) -> None:
    """Write the HTML report to ``path``."""
    Path(path).write_text(render_report(name, summary, rows, **extra), encoding="utf-8")
