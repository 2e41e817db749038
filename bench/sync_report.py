"""The sync benchmark's table: each measure against its floor or minimum, and its target."""

from __future__ import annotations

from typing import Any

from sync_limits import (
    MAX_CALLS_OVER_MINIMUM,
    MAX_NIGHTLY_S,
    MAX_NIGHTLY_SHARE,
    MAX_PEAK_BYTES,
    MAX_TIME_OVER_FLOOR,
    MIN_NAIVE_RATIO,
    MIN_ORDERS_PER_S,
    SEARCH_PER_S,
    TIER,
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
            f"floor {load['floor_s']:.1f} s = {load['hubspot_write_api_calls']:,} calls ÷ 19/s "
            f"(×{load['time_over_floor']})",
            verdict(load["time_over_floor"] <= MAX_TIME_OVER_FLOOR),
        )
    )
    rows.append(
        (
            "   whole run (source → HubSpot)",
            f"{load['wall_s']:.1f} s",
            f"×{ratio(load['wall_s'], load['floor_s']):.3f} the floor; "
            f"{load['records']['deals']:,} deals, {load['records']['contacts']:,} contacts, "
            f"{load['records']['companies']:,} companies; 429s {load['rate_limited_429s']}",
            verdict(ratio(load["wall_s"], load["floor_s"]) <= MAX_TIME_OVER_FLOOR),
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
            f"{window['write_calls']} writes",
            f"{window['read_calls']:,} reads, {window['wall_s']:.1f} s = "
            f"{window['share_of_load'] * 100:.1f}% of the load (months {window['months'][0]} "
            f"to {window['months'][-1]}, checks apart; target under {MAX_NIGHTLY_S:.0f} s)",
            verdict(
                window["write_calls"] == 0
                and window["share_of_load"] < MAX_NIGHTLY_SHARE
                and window["wall_s"] < MAX_NIGHTLY_S
            ),
        )
    )
    if "nightly_checks" in result:
        checks = result["nightly_checks"]
        rows.append(
            (
                "   nightly deal checks (step)",
                f"{checks.get('step_s', checks['wall_s']):.1f} s",
                f"search floor {checks['search_floor_s']:.1f} s = {checks['searches']:,} "
                f"searches ÷ {SEARCH_PER_S}/s (×{checks['time_over_search_floor']:.3f}); "
                f"whole run {checks['wall_s']:.1f} s; "
                f"{checks['read_calls']:,} reads, {checks['write_calls']} writes",
                ("passed, " if checks["passed"] else "FAILED, ")
                + verdict(checks["time_over_search_floor"] <= MAX_TIME_OVER_FLOOR),
            )
        )
    same = result["rerun_unchanged"]
    rows.append(
        (
            "   rerun of every month, nothing changed",
            f"{same['write_calls']} writes",
            f"{same['read_calls']:,} reads, {same['wall_s']:.1f} s = "
            f"{same['share_of_load'] * 100:.1f}% of the load",
            verdict(same["write_calls"] == 0),
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
                + (" (source tiled)" if transform["tiled"] else ""),
                verdict(transform["orders_per_s"] >= MIN_ORDERS_PER_S),
            )
        )
        rows.append(
            (
                "   peak memory",
                f"{transform['peak_rss_bytes'] / 1024**3:.2f} GiB",
                f"peak RSS during the transform; {transform['rss_before_bytes'] / 1024**3:.2f} GiB "
                "with its inputs loaded",
                verdict(transform["peak_rss_bytes"] < MAX_PEAK_BYTES),
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


def print_table(
    rows: list[tuple[str, str, str, str]], facts: dict[str, Any], sizes: str, launched_by: str
) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "result", "against", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    lines = [
        f"moulin-sync sync benchmark — {sizes}; HubSpot emulator, {TIER} tier (19 calls/s); "
        f"runs {launched_by}",
        f"{facts['cpu_model']}, {facts['cores']} cores, {facts['ram_gib']} GiB, "
        f"Python {facts['python']}, polars {facts['versions']['polars']}, "
        f"dagster {facts['versions']['dagster']}",
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    text = "\n".join(lines)
    print(text)
    return text
