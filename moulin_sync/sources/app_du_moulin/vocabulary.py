"""Le Moulin's business vocabulary, defined once: order statuses, sales channels,
customer types.

The App du Moulin writes the values; HubSpot shows the French labels (property options,
pipeline stages); the order totals and the deal stages read the flags. Everything that
lists a status or a channel takes it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str  # as the App du Moulin writes it
    label: str  # as HubSpot shows it to Le Moulin's people


@dataclass(frozen=True)
class OrderStatus(Choice):
    counted: bool  # placed and not undone: counts towards a customer's orders
    paid: bool  # paid at some point, so `paid_at` is set in clean data
    kept: bool  # the money was received and kept: counts towards lifetime value


ORDER_STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus("pending", "En attente", counted=True, paid=False, kept=False),
    OrderStatus("paid", "Payée", counted=True, paid=True, kept=True),
    OrderStatus("ready", "Prête", counted=True, paid=True, kept=True),
    OrderStatus("picked_up", "Retirée", counted=True, paid=True, kept=True),
    OrderStatus("delivered", "Livrée", counted=True, paid=True, kept=True),
    OrderStatus("cancelled", "Annulée", counted=False, paid=False, kept=False),
    OrderStatus("refunded", "Remboursée", counted=False, paid=True, kept=False),
)
"""Statuses the App du Moulin writes; the column is free text, so others may appear."""

ORDER_CHANNELS: tuple[Choice, ...] = (
    Choice("web", "Site web"),
    Choice("app", "Application"),
    Choice("shop", "Boutique"),
    Choice("b2b", "Commande pro"),
)
"""Sales channels: `b2b` orders carry a `company_id`, the others are B2C."""

CUSTOMER_TYPES: tuple[Choice, ...] = (
    Choice("B2C", "Particulier (B2C)"),
    Choice("B2B", "Professionnel (B2B)"),
)
"""A customer with a company is a B2B contact; any other is a consumer."""


def values(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(choice.value for choice in choices)


def statuses(*, counted: bool | None = None, paid: bool | None = None, kept: bool | None = None):
    """The status values with the given flags, e.g. `statuses(kept=True)`."""
    return tuple(
        s.value
        for s in ORDER_STATUSES
        if (counted is None or s.counted == counted)
        and (paid is None or s.paid == paid)
        and (kept is None or s.kept == kept)
    )
