"""Properties several streams write: HubSpot's own, and custom ones of the same kind."""

from __future__ import annotations

from typing import Any

from moulin_sync.hubspot.streams.spec import Custom, Property
from moulin_sync.hubspot.streams.values import (
    Amount,
    Count,
    Day,
    Email,
    Filled,
    Key,
    Name,
    Number,
    Phone,
    RequiredInstant,
    Text,
    constant,
)

# HubSpot's own properties moulin-sync writes, and what their values may be.
HUBSPOT_PROPERTIES: dict[str, Any] = {
    "email": Email,
    "firstname": Text,
    "lastname": Text,
    "phone": Phone,
    "company": Text,
    "name": Name,
    "address": Text,
    "zip": Text,
    "city": Text,
    "country": Text,
    "dealname": Name,
    "amount": Amount,
    "deal_currency_code": constant("EUR"),
    "closedate": RequiredInstant,
    "pipeline": Filled,
    "dealstage": Filled,
}


def hubspot(*names: str) -> tuple[Property, ...]:
    """HubSpot's own properties of these names."""
    return tuple(Property(name, HUBSPOT_PROPERTIES[name]) for name in names)


def order_dates(first: str, last: str) -> tuple[Custom, Custom]:
    """The days of the first and the latest order (descriptions `first`, `last`)."""
    return (
        Custom("moulin_first_order_date", Day, "Date de première commande", "date", first),
        Custom("moulin_last_order_date", Day, "Date de dernière commande", "date", last),
    )


def order_figures(count: str, value: str) -> tuple[Custom, Custom]:
    """The order count and the lifetime value (descriptions `count`, `value`)."""
    return (
        Custom("moulin_order_count", Count, "Nombre de commandes", "number", count),
        Custom("moulin_lifetime_value_eur", Number, "Valeur vie client (EUR)", "number", value),
    )


def app_id(name: str, label: str, description: str) -> Custom:
    """An id of the App du Moulin: the unique property every write of the stream is keyed
    by, so a replay finds the record it made instead of making another."""
    return Custom(name, Key, label, "string", description, unique=True)


def app_du_moulin(*tables: str) -> dict[str, tuple[str, ...]]:
    """These App du Moulin source assets, each taken by the transform under its name."""
    return {table: ("app_du_moulin", table) for table in tables}
