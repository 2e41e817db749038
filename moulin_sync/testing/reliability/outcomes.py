"""What a reliability scenario did, and the tally of them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from moulin_sync.testing.reliability.oracle import Verdict


@dataclass
class Outcome:
    """One scenario: what was injected, whether the runs behaved, what HubSpot ended as."""

    family: str  # "crash: kill", "drill: 429 storm", ...
    name: str
    faults: int  # faults injected: fired faults, kills, restarts, limit changes
    verdict: Verdict
    problems: list[str] = field(default_factory=list)  # runs that misbehaved
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    left_missing: int | None = None  # crash points: records missing right after the crash

    @property
    def passed(self) -> bool:
        return self.verdict.clean and not self.problems

    def describe(self) -> str:
        status = "ok" if self.passed else "FAILED"
        lines = [f"[{status}] {self.family}: {self.name} ({self.seconds:.0f} s)"]
        if not self.verdict.clean:
            lines.append("  " + self.verdict.describe().replace("\n", "\n  "))
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    bad_inputs_tried: int = 0
    bad_inputs_quarantined: int = 0
    good_inputs_tried: int = 0
    good_inputs_landed: int = 0
    corpus_problems: list[str] = field(default_factory=list)
    corpus_lost: int = 0
    corpus_wrong: int = 0
    security_checks: int = 0
    security_problems: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    @property
    def duplicates(self) -> int:
        return sum(o.verdict.duplicates for o in self.outcomes)

    @property
    def lost(self) -> int:
        return sum(o.verdict.lost for o in self.outcomes) + self.corpus_lost

    @property
    def mismatches(self) -> int:
        return self.corpus_wrong + sum(
            o.verdict.extra + o.verdict.mismatched + o.verdict.stale_state for o in self.outcomes
        )

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def ok(self) -> bool:
        return (
            not self.failed
            and not self.corpus_problems
            and not self.security_problems
            and self.bad_inputs_quarantined == self.bad_inputs_tried
            and self.good_inputs_landed == self.good_inputs_tried
        )

    def summary(self) -> str:
        families: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            families.setdefault(outcome.family, []).append(outcome)
        lines = ["moulin-sync reliability summary", ""]
        for family, outcomes in families.items():
            passed = sum(o.passed for o in outcomes)
            faults = sum(o.faults for o in outcomes)
            lines.append(
                f"  {family:<34} {len(outcomes):>4} scenarios, {passed:>4} passed, "
                f"{faults:>4} faults injected"
            )
        lines += [
            "",
            f"  scenarios run:              {len(self.outcomes)}",
            f"  faults injected:            {sum(o.faults for o in self.outcomes)}",
            f"  bad inputs tried:           {self.bad_inputs_tried}",
            f"  bad inputs quarantined:     {self.bad_inputs_quarantined}",
            f"  good inputs landed:         {self.good_inputs_landed} of {self.good_inputs_tried}",
            f"  security checks:            {self.security_checks}, "
            f"{len(self.security_problems)} failed",
            f"  duplicates found:           {self.duplicates} (must be 0)",
            f"  records lost:               {self.lost} (must be 0; "
            f"{self.corpus_lost} of them in the corpus)",
            f"  other mismatches:           {self.mismatches} (extra records, wrong values, "
            f"stale state; must be 0; {self.corpus_wrong} of them in the corpus)",
            f"  scenarios failed:           {len(self.failed)}",
            f"  corpus problems:            {len(self.corpus_problems)}",
        ]
        lines += ["", f"  verdict: {'PASS' if self.ok else 'FAIL'}"]
        return "\n".join(lines)
