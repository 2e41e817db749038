"""The sync benchmark's table: each measure against its floor or minimum, and its target."""

from __future__ import annotations

from typing import Any

from sync_limits import (
    MAX_CALLS_OVER_MINIMUM,
    MAX_CHECKS_OVER_SEARCH_FLOOR,
    MAX_NIGHTLY_S,
    MAX_PEAK_BYTES,
    MAX_RERUN_SHARE,
    MAX_TIME_OVER_FLOOR,
    MIN_NAIVE_RATIO,
    MIN_ORDERS_PER_S,
    SEARCH_PER_S,
    TIER,
    WINDOW_CALLS,
)


# --------------------------------------------------------------------------- report
def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("OK" if ok else "MISS")


def build_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    load = result["initial_load"]
    rows.append(
        (
            "1. initial load: record write calls",
            f"{load['write_calls']:,}",
            f"minimum {load['minimum_write_calls']:,} (×{load['write_calls_over_minimum']})",
            verdict(load["write_calls_over_minimum"] <= MAX_CALLS_OVER_MINIMUM),
        )
    )
    rows.append(
        (
            "   HubSpot write steps, wall time",
            f"{load['hubspot_write_s']:.1f} s",
            f"steady floor {load['floor_s']:.1f} s = {load['hubspot_write_api_calls']:,} calls "
            f"÷ 19/s (×{load['time_over_floor']}); burst-aware floor "
            f"{load['burst_floor_s']:.1f} s = 10 s × ⌊(calls − 1) ÷ {WINDOW_CALLS}⌋ "
            f"({_times(load['time_over_burst_floor'])}); 429s {load['rate_limited_429s']} (target: "
            f"≤ ×{MAX_TIME_OVER_FLOOR} the steady floor, no 429)",
            verdict(
                load["time_over_floor"] <= MAX_TIME_OVER_FLOOR and load["rate_limited_429s"] == 0
            ),
        )
    )
    run_over_floor = ratio(load["wall_s"], load["floor_s"])
    rows.append(
        (
            "   whole run (launch → source → HubSpot)",
            f"{load['wall_s']:.1f} s",
            f"×{run_over_floor:.3f} the steady floor; {load['records']['deals']:,} deals, "
            f"{load['records']['contacts']:,} contacts, {load['records']['companies']:,} "
            f"companies; {_launch(load)} (the fixed cost beside the writes: shown, not a "
            "target)",
            "",
        )
    )
    if "checks" in result:
        checks = result["checks"]
        rows.append(
            (
                "   deal checks (apart)",
                f"{checks['wall_s']:.1f} s",
                f"{checks['read_calls']:,} reads ({checks['searches']:,} searches); "
                + ", ".join(f"{k} {v:.1f} s" for k, v in checks["steps_s"].items()),
                "passed" if checks["passed"] else "FAILED",
            )
        )
    window = result["nightly_unchanged"]
    rows.append(
        (
            "2. nightly, nothing changed",
            f"{window['wall_s']:.1f} s",
            f"{window['write_calls']} writes, {window['read_calls']:,} reads; months "
            f"{window['months'][0]} to {window['months'][-1]}, checks apart; "
            f"{window['share_of_load'] * 100:.1f}% of the load; "
            f"{_launch(window)} (target: no write, ≤ {MAX_NIGHTLY_S:.0f} s from the launch)",
            verdict(window["write_calls"] == 0 and window["wall_s"] <= MAX_NIGHTLY_S),
        )
    )
    if "nightly_checks" in result:
        checks = result["nightly_checks"]
        rows.append(
            (
                "   nightly checks (deal checks step)",
                f"{checks['step_s']:.1f} s",
                f"search floor {checks['search_floor_s']:.1f} s = "
                f"{checks['deal_check_searches']:,} searches ÷ {SEARCH_PER_S}/s "
                f"(×{checks['time_over_search_floor']:.3f}); the run's {checks['searches']:,} "
                f"searches (drift checks too): {checks['searches_rate_limited']} × 429; whole "
                f"run {checks['wall_s']:.1f} s; {checks['write_calls']} writes (target: "
                f"≤ ×{MAX_CHECKS_OVER_SEARCH_FLOOR} the search floor, no 429)",
                ("passed, " if checks["passed"] else "FAILED, ")
                + verdict(
                    checks["time_over_search_floor"] <= MAX_CHECKS_OVER_SEARCH_FLOOR
                    and checks["searches_rate_limited"] == 0
                ),
            )
        )
    same = result["rerun_unchanged"]
    rows.append(
        (
            "   rerun of every month, nothing changed",
            f"{same['wall_s']:.1f} s",
            f"{same['write_calls']} writes, {same['read_calls']:,} reads; "
            f"{same['share_of_load'] * 100:.1f}% of the load; {_launch(same)} "
            f"(target: no write, ≤ {MAX_RERUN_SHARE * 100:.0f}% of the load)",
            verdict(same["write_calls"] == 0 and same["share_of_load"] <= MAX_RERUN_SHARE),
        )
    )
    changed = result["nightly_one_percent"]
    rows.append(
        (
            "3. rerun of every month, 1% changed",
            f"{changed['write_calls']}",
            f"minimum {changed['minimum_write_calls']} for "
            + ", ".join(f"{v:,} {k}" for k, v in changed["changed_records"].items())
            + f"; {changed['wall_s']:.1f} s",
            verdict(
                changed["write_calls"] <= changed["minimum_write_calls"] * MAX_CALLS_OVER_MINIMUM
            ),
        )
    )
    transform = result.get("transform")
    if transform:
        rows.append(
            (
                "4. deal transform, 1M orders",
                f"{transform['orders_per_s']:,.0f} orders/s",
                f"{transform['orders']:,} orders in {transform['seconds']:.2f} s"
                + (" (source tiled)" if transform["tiled"] else "")
                + f" (target ≥ {MIN_ORDERS_PER_S:,}/s)",
                verdict(transform["orders_per_s"] >= MIN_ORDERS_PER_S),
            )
        )
        rows.append(
            (
                "   peak memory",
                f"{transform['peak_rss_bytes'] / 1024**3:.2f} GiB",
                f"peak RSS during the transform; {transform['rss_before_bytes'] / 1024**3:.2f} GiB "
                f"with its inputs loaded (target ≤ {MAX_PEAK_BYTES / 1024**3:.1f} GiB)",
                verdict(transform["peak_rss_bytes"] <= MAX_PEAK_BYTES),
            )
        )
    naive = result.get("naive")
    if naive:
        rows.append(
            (
                "5. naive way (1 create + 1 assoc/order)",
                f"{naive['calls']:,} calls",
                f"{naive['orders']:,} orders in {naive['seconds']:.1f} s "
                f"({naive['calls_per_order']:.2f} calls, {naive['seconds_per_order'] * 1000:.0f} ms per order)",
                "",
            )
        )
        rows.append(
            (
                "   moulin-sync vs naive, per deal",
                f"{naive['call_ratio']:,.0f}× fewer calls",
                f"{naive['ours_calls_per_order']:.4f} vs {naive['calls_per_order']:.2f} calls; "
                f"{naive['time_ratio']:,.0f}× faster",
                verdict(naive["call_ratio"] >= MIN_NAIVE_RATIO),
            )
        )
    return rows


def _launch(measure: dict[str, Any]) -> str:
    """Where a run's time went, from its events: launch, queue, run worker, steps."""
    phases = measure.get("phases_s") or {}
    named = [
        (PHASES[name], seconds) for name, seconds in phases.items() if name in PHASES and seconds
    ]
    return ", ".join(f"{label} {seconds:.1f} s" for label, seconds in named)


PHASES = {
    "made_and_queued": "run made",
    "in_queue": "queued",
    "worker_start": "run worker start",
    "run_start": "run start",
    "before_first_step": "to 1st step",
    "steps": "steps",
    "after_last_step": "to end",
}


def table_text(
    rows: list[tuple[str, str, str, str]], facts: dict[str, Any], sizes: str, launched_by: str
) -> str:
    """The table, under what it ran on: the date, the commit, the machine and its load."""
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "result", "against", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    dirty = " (uncommitted changes)" if facts.get("git_dirty") else ""
    lines = [
        f"moulin-sync sync benchmark — {sizes}; HubSpot emulator, {TIER} tier (19 calls/s); "
        f"runs {launched_by}",
        f"{facts.get('date', '')}, commit {facts.get('git_commit')}{dirty}; "
        f"{facts['cpu_model']}, {facts['cores']} cores, {facts['ram_gib']} GiB; load average "
        f"{_loads(facts.get('load_average_at_start'))} at the start, "
        f"{_loads(facts.get('load_average_at_end'))} at the end; Python {facts['python']}, "
        f"polars {facts['versions']['polars']}, dagster {facts['versions']['dagster']}",
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def readme_block(table: str, results_file: str) -> str:
    """What the README's Benchmarks section shows for this run, to paste as it is."""
    return f"`{results_file}`:\n\n```\n{table}\n```"


def _times(value: float | None) -> str:
    return "—" if value is None else f"×{value}"


def _loads(values: list[float] | None) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "?"
