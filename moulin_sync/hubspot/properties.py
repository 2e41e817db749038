"""The HubSpot property schema, as code: it replaces the founding note's spreadsheet.

Every custom property lives in one group per object ("App du Moulin"). The unique id
properties (`moulin_customer_id`, ...) are what make every write an idempotent upsert:
a rerun after a crash finds the record it created instead of creating another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PropertyType = Literal["string", "number", "date", "datetime", "enumeration", "bool"]

GROUP_NAME = "app_du_moulin"
GROUP_LABEL = "App du Moulin"

FIELD_TYPES: dict[PropertyType, str] = {
    "string": "text",
    "number": "number",
    "date": "date",
    "datetime": "date",
    "enumeration": "select",
    "bool": "booleancheckbox",
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class PropertySpec:
    name: str
    label: str
    type: PropertyType
    description: str
    options: tuple[Option, ...] = ()
    unique: bool = False
    field_type: str | None = None

    def definition(self) -> dict:
        """The body of `POST /crm/v3/properties/{objectType}`."""
        body: dict = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type or FIELD_TYPES[self.type],
            "groupName": GROUP_NAME,
            "description": self.description,
        }
        if self.type == "bool":
            body["options"] = [
                {"label": "Yes", "value": "true", "displayOrder": 0},
                {"label": "No", "value": "false", "displayOrder": 1},
            ]
        elif self.options:
            body["options"] = [
                {"label": o.label, "value": o.value, "displayOrder": i}
                for i, o in enumerate(self.options)
            ]
        if self.unique:
            body["hasUniqueValue"] = True
        return body


def _options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in pairs)


CUSTOMER_TYPES = _options(("B2C", "Particulier (B2C)"), ("B2B", "Professionnel (B2B)"))
ORDER_CHANNELS = _options(
    ("web", "Site web"), ("app", "Application"), ("shop", "Boutique"), ("b2b", "Commande pro")
)
ORDER_STATUSES = _options(
    ("pending", "En attente"),
    ("paid", "Payée"),
    ("ready", "Prête"),
    ("picked_up", "Retirée"),
    ("delivered", "Livrée"),
    ("cancelled", "Annulée"),
    ("refunded", "Remboursée"),
)


@dataclass(frozen=True)
class ObjectSchema:
    object_type: str
    id_property: str
    properties: tuple[PropertySpec, ...] = field(default=())

    def by_name(self) -> dict[str, PropertySpec]:
        return {spec.name: spec for spec in self.properties}


CONTACTS = ObjectSchema(
    "contacts",
    "moulin_customer_id",
    (
        PropertySpec(
            "moulin_customer_id",
            "ID client App du Moulin",
            "string",
            "The customer's id in the App du Moulin; the key every sync upserts by.",
            unique=True,
        ),
        PropertySpec(
            "moulin_customer_type",
            "Type de client",
            "enumeration",
            "B2C (consumer) or B2B (contact of a company).",
            CUSTOMER_TYPES,
        ),
        PropertySpec(
            "moulin_last_pickup_point",
            "Dernier point de retrait",
            "string",
            "Pickup point of the customer's latest order.",
        ),
        PropertySpec(
            "moulin_first_order_date",
            "Date de première commande",
            "date",
            "Day of the first order (Europe/Paris).",
        ),
        PropertySpec(
            "moulin_last_order_date",
            "Date de dernière commande",
            "date",
            "Day of the latest order (Europe/Paris).",
        ),
        PropertySpec(
            "moulin_order_count",
            "Nombre de commandes",
            "number",
            "Orders placed, cancelled and refunded ones excluded.",
        ),
        PropertySpec(
            "moulin_lifetime_value_eur",
            "Valeur vie client (EUR)",
            "number",
            "Sum of paid orders incl. VAT, refunds excluded.",
        ),
        PropertySpec(
            "moulin_marketing_consent",
            "Consentement marketing",
            "bool",
            "Opted in to marketing in the App du Moulin.",
        ),
        PropertySpec(
            "moulin_customer_since",
            "Client depuis",
            "date",
            "Day the customer account was created.",
        ),
        PropertySpec(
            "moulin_company_role",
            "Rôle dans l'entreprise",
            "string",
            "For B2B contacts: their role at their company.",
        ),
        PropertySpec("nps_score", "Score NPS", "number", "Latest NPS answer (0-10), Typeform."),
        PropertySpec(
            "nps_comment",
            "Commentaire NPS",
            "string",
            "Comment of the latest NPS answer.",
            field_type="textarea",
        ),
        PropertySpec(
            "nps_submitted_at",
            "Date de réponse NPS",
            "datetime",
            "When the latest NPS answer was submitted.",
        ),
    ),
)

COMPANIES = ObjectSchema(
    "companies",
    "moulin_company_id",
    (
        PropertySpec(
            "moulin_company_id",
            "ID entreprise App du Moulin",
            "string",
            "The company's id in the App du Moulin; the key every sync upserts by.",
            unique=True,
        ),
        PropertySpec("moulin_siret", "SIRET", "string", "14-digit SIRET of the establishment."),
        PropertySpec(
            "moulin_vat_number", "Numéro de TVA", "string", "Intra-community VAT number (FR...)."
        ),
        PropertySpec("moulin_sector", "Secteur", "string", "Business sector, as in the App."),
        PropertySpec(
            "moulin_order_count",
            "Nombre de commandes",
            "number",
            "B2B orders placed, cancelled and refunded ones excluded.",
        ),
        PropertySpec(
            "moulin_lifetime_value_eur",
            "Valeur vie client (EUR)",
            "number",
            "Sum of paid B2B orders incl. VAT, refunds excluded.",
        ),
        PropertySpec(
            "moulin_first_order_date",
            "Date de première commande",
            "date",
            "Day of the first B2B order.",
        ),
        PropertySpec(
            "moulin_last_order_date",
            "Date de dernière commande",
            "date",
            "Day of the latest B2B order.",
        ),
    ),
)

DEALS = ObjectSchema(
    "deals",
    "moulin_order_id",
    (
        PropertySpec(
            "moulin_order_id",
            "ID commande App du Moulin",
            "string",
            "The order's id in the App du Moulin; one deal per order, never two.",
            unique=True,
        ),
        PropertySpec(
            "moulin_order_number", "Numéro de commande", "string", "The order number customers see."
        ),
        PropertySpec(
            "moulin_customer_type",
            "Type de client",
            "enumeration",
            "B2C or B2B order.",
            CUSTOMER_TYPES,
        ),
        PropertySpec(
            "moulin_channel",
            "Canal de commande",
            "enumeration",
            "Where the order was placed.",
            ORDER_CHANNELS,
        ),
        PropertySpec(
            "moulin_order_status",
            "Statut de commande",
            "enumeration",
            "The order's status in the App du Moulin.",
            ORDER_STATUSES,
        ),
        PropertySpec(
            "moulin_pickup_point", "Point de retrait", "string", "Pickup point of the order."
        ),
        PropertySpec("moulin_paid_at", "Payée le", "datetime", "When the order was paid."),
    ),
)

TICKETS = ObjectSchema(
    "tickets",
    "freshdesk_ticket_id",
    (
        PropertySpec(
            "freshdesk_ticket_id",
            "ID ticket Freshdesk",
            "string",
            "The Freshdesk ticket id; the key every sync upserts by.",
            unique=True,
        ),
        PropertySpec(
            "freshdesk_status", "Statut Freshdesk", "string", "The ticket's status in Freshdesk."
        ),
        PropertySpec("freshdesk_url", "Lien Freshdesk", "string", "Link to the ticket."),
    ),
)

SCHEMAS: dict[str, ObjectSchema] = {s.object_type: s for s in (CONTACTS, COMPANIES, DEALS, TICKETS)}
