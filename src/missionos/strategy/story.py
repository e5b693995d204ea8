"""The plan's story in plain words, for the top of its page: what we bet, what we learned, where work waits,
who cannot ship yet. Each is one sentence with a link to where a leader acts on it.

Like the loop, this reads the other contexts only through the measures registry: the verdicts through
`measures.verdict_for`, the friction register through `friction.open_cost_of_delay`, the platform through
`platform.teams_blocked`, delivery through `delivery.services_never_shipped`. A measure nobody publishes (a
context not installed) leaves its sentence out rather than failing the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from missionos import measures
from missionos.errors import NotFoundError
from missionos.measures import Scope, Window
from missionos.store import Database
from missionos.strategy.loop import LoopState, published_verdict, verdict_phrase

LEARNED = ("validated", "invalidated", "inconclusive")
KINDS = ("bet", "learned", "waits", "cannot-ship")


@dataclass(frozen=True)
class Sentence:
    """One line of the story: `text` is plain words; `link` (with its words `link_text`) is where to act."""

    kind: str  # one of KINDS
    text: str
    link: str
    link_text: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "link": self.link, "link_text": self.link_text}


def _names(items: list[str]) -> str:
    """["a"] -> "a"; ["a", "b", "c"] -> "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def _latest(db: Database, name: str, at: dt.datetime) -> measures.Series | None:
    try:
        return measures.query(db, name, Scope(), Window(at - dt.timedelta(days=1), at))
    except NotFoundError:
        return None


def _bet(view: Any) -> Sentence:
    bets = [b for s in view.strategies for b in s.bets]
    open_bets = [b.bet.id for b in bets if b.status in ("open", "too early")]
    text = (
        f"We bet on {_plural(len(view.strategies), 'strategy', 'strategies')} "
        f"and {_plural(len(bets), 'bet')} to reach: {view.plan.objective.strip().rstrip('.')}."
    )
    if open_bets:
        text += f" {_names(open_bets)} {'is' if len(open_bets) == 1 else 'are'} still being tested."
    return Sentence("bet", text, f"/strategy/plans/{view.plan.key}#strategies-h", "the strategies and bets")


def _learned(db: Database, view: Any, loop_state: LoopState | None) -> Sentence:
    judged = [b for s in view.strategies for b in s.bets if b.status in LEARNED]
    if not judged:
        return Sentence(
            "learned",
            "No bet has a verdict yet: nothing has been learned from an experiment.",
            "/strategy/learning",
            "learning speed",
        )
    asks: dict[str, str] = {}
    for prompt in loop_state.open_actions if loop_state else ():
        asks.setdefault(
            prompt.bet, {"stop": "stop it", "re-plan": "re-plan it", "scale": "scale it"}.get(prompt.kind, "")
        )
    parts = []
    for b in judged:
        phrase = verdict_phrase(b.bet.id, b.status, published_verdict(db, b.bet))
        if asks.get(b.bet.id):
            phrase += f": {asks[b.bet.id]}"
        parts.append(phrase)
    text = "We learned: " + "; ".join(parts) + "."
    link = (
        f"/strategy/plans/{view.plan.key}#loop" if loop_state and loop_state.prompts else "/strategy/learning"
    )
    return Sentence("learned", text, link, "what the verdicts ask")


def _money(amount: float | None, currency: str | None) -> str:
    return "an unpriced amount" if amount is None else f"{amount:,.0f} {currency or ''}".rstrip()


def _waits(db: Database, at: dt.datetime) -> Sentence | None:
    series = _latest(db, "friction.open_cost_of_delay", at)
    if series is None:
        return None
    top = series.detail.get("top")
    if not top:
        return Sentence("waits", "No open blocker is on the friction register.", "/friction", "the register")
    where = f"before {top['step']} in the {top['stream']} stream" if top["step"] else f"in {top['stream']}"
    text = (
        f"Work waits longest {where}: “{top['title']}” costs "
        f"{_money(top['cost_per_month'], top['currency'])} a month and has been open "
        f"{top['age_days']:.0f} days; {top['owner']} can clear it"
    )
    text += f" by deciding: {top['decision'].rstrip('.')}." if top.get("decision") else "."
    return Sentence("waits", text, f"/friction/{top['key']}", "the blocker")


def _cannot_ship(db: Database, at: dt.datetime) -> Sentence | None:
    teams = _latest(db, "platform.teams_blocked", at)
    services = _latest(db, "delivery.services_never_shipped", at)
    if teams is None and services is None:
        return None
    parts = []
    link, link_text = "/platform", "the platform's offers and teams"
    blocked = list(teams.detail.get("teams", ())) if teams else []
    for team in blocked:
        needs = list(teams.detail.get("blocked_by", {}).get(team, ())) if teams else []
        missing = list(teams.detail.get("not_offered", {}).get(team, ())) if teams else []
        why = []
        if needs:
            verb = "is" if len(needs) == 1 else "are"
            why.append(f"{_names(needs)} {verb} advertised but never used in production")
        if missing:
            why.append(f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} not offered")
        parts.append(f"team {team} cannot ship yet ({'; '.join(why) or 'its needs are not met'})")
    waiting = [s["service"] for s in services.detail.get("services", ())] if services else []
    if waiting:
        parts.append(f"{_names(waiting)} {'has' if len(waiting) == 1 else 'have'} never reached production")
        if not blocked:
            link, link_text = f"/delivery/services/{waiting[0]}", f"{waiting[0]}'s path to production"
    if not parts:
        return Sentence("cannot-ship", "Every team has shipped to production.", "/platform", "the platform")
    text = "; ".join(parts) + "."
    return Sentence("cannot-ship", text[0].upper() + text[1:], link, link_text)


def tell(
    db: Database, view: Any, loop_state: LoopState | None = None, *, now: dt.datetime | None = None
) -> list[Sentence]:
    """The story of an evaluated plan (a `service.PlanView`), in the order a leader reads it."""
    at = now or dt.datetime.now(dt.UTC)
    story = [_bet(view), _learned(db, view, loop_state)]
    with measures.reading():
        for sentence in (_waits(db, at), _cannot_ship(db, at)):
            if sentence is not None:
                story.append(sentence)
    return story


def tell_cached(db: Database, view: Any, loop_state: LoopState | None = None) -> list[Sentence]:
    """`tell`, computed once per change to the database (see `Database.cached`)."""
    key = ("strategy.story", view.plan.key, view.version, view.as_of)
    return list(db.cached(key, lambda: tell(db, view, loop_state)))
