"""The portal's default schema: HubSpot's built-in properties, groups and pipelines per type
(the four types moulin-sync writes here; the other standard types' in `standard_schema`).

Definitions are built in HubSpot's `Property`, `PropertyGroup` and `Pipeline` shapes; the row
order below is the order `GET /crm/v3/properties/{objectType}` answers in.
"""

from __future__ import annotations

from typing import Any

from .object_types import API_SINGULAR, LASTMOD, SINGULAR
from .standard_schema import STANDARD

EPOCH_ISO = "2019-01-01T00:00:00.000Z"
# (name, label[, type, fieldType][, make_property keywords]); type and fieldType default to
# make_property's: string and text.
PropertyRow = tuple[Any, ...]


def _opts(*values: str | tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for i, v in enumerate(values):
        value, label = (v, v.replace("_", " ").title()) if isinstance(v, str) else v
        out.append(
            {"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
        )
    return out


def group_name(t: str) -> str:
    """The group of a type's built-in properties: contactinformation, lineiteminformation."""
    return API_SINGULAR[t].replace("_", "") + "information"


def make_property(
    object_type: str,
    name: str,
    label: str,
    ptype: str = "string",
    field_type: str = "text",
    *,
    group: str | None = None,
    options: list[dict[str, Any]] | None = None,
    unique: bool = False,
    hubspot_defined: bool = True,
    description: str = "",
    read_only: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": ptype,
        "fieldType": field_type,
        "description": description,
        "groupName": group or group_name(object_type),
        "options": options or [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": unique,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "formField": not read_only,
        "createdAt": EPOCH_ISO,
        "updatedAt": EPOCH_ISO,
        "archived": False,
    }


def make_stage(sid: str, label: str, order: int, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "id": sid, "label": label, "displayOrder": order, "metadata": metadata,
        "createdAt": EPOCH_ISO, "updatedAt": EPOCH_ISO, "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }  # fmt: skip


_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN")
_LIFECYCLE = _opts(
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
    "opportunity", "customer", "evangelist", "other",
)  # fmt: skip
_LIFECYCLE_STAGE = (
    "lifecyclestage",
    "Lifecycle Stage",
    "enumeration",
    "radio",
    {"options": _LIFECYCLE},
)
# Contacts and companies share these, in this order.
_POSTAL_ADDRESS: list[PropertyRow] = [
    ("address", "Street Address"),
    ("city", "City"),
    ("zip", "Postal Code"),
    ("state", "State/Region"),
    ("country", "Country/Region"),
]  # fmt: skip


def _system(t: str) -> list[PropertyRow]:
    lastmod = LASTMOD.get(t, "hs_lastmodifieddate")
    return [
        ("createdate", "Create Date", "datetime", "date"),
        (lastmod, "Last Modified Date", "datetime", "date", {"read_only": True}),
        ("hs_object_id", "Record ID", "number", "number", {"read_only": True}),
        (
            "hs_merged_object_ids",
            "Merged Record IDs",
            "enumeration",
            "checkbox",
            {"read_only": True},
        ),
        ("hubspot_owner_id", "Owner"),
    ]


_DEFAULTS: dict[str, list[PropertyRow]] = {
    "contacts": [
        ("email", "Email"),
        ("firstname", "First Name"),
        ("lastname", "Last Name"),
        ("phone", "Phone Number", "string", "phonenumber"),
        ("mobilephone", "Mobile Phone Number", "string", "phonenumber"),
        ("company", "Company Name"),
        ("jobtitle", "Job Title"),
        ("website", "Website URL"),
        *_POSTAL_ADDRESS,
        _LIFECYCLE_STAGE,
        ("hs_lead_status", "Lead Status", "enumeration", "radio", {"options": _opts(
            "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED",
            "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING")}),
        ("hs_language", "Preferred language"),
        ("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox", {"read_only": True}),
        ("associatedcompanyid", "Primary Associated Company ID", "number", "number", {"read_only": True}),
    ],
    "companies": [
        ("name", "Company name"),
        ("domain", "Company Domain Name"),
        ("website", "Website URL"),
        ("phone", "Phone Number", "string", "phonenumber"),
        *_POSTAL_ADDRESS,
        ("industry", "Industry"),
        ("description", "Description", "string", "textarea"),
        ("numberofemployees", "Number of Employees", "number", "number"),
        ("annualrevenue", "Annual Revenue", "number", "number"),
        _LIFECYCLE_STAGE,
        ("type", "Type", "enumeration", "select", {"options": _opts(
            "PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER")}),
    ],
    "deals": [
        ("dealname", "Deal Name"),
        ("amount", "Amount", "number", "number"),
        ("closedate", "Close Date", "datetime", "date"),
        ("pipeline", "Pipeline", "enumeration", "select"),
        ("dealstage", "Deal Stage", "enumeration", "radio"),
        ("deal_currency_code", "Currency", "enumeration", "select", {"options": _opts(
            *[(c, c) for c in _CURRENCIES])}),
        ("dealtype", "Deal Type", "enumeration", "radio", {"options": _opts(
            ("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))}),
        ("description", "Deal Description", "string", "textarea"),
        ("hs_priority", "Priority", "enumeration", "select", {"options": _opts("low", "medium", "high")}),
        ("closed_lost_reason", "Closed Lost Reason", "string", "textarea"),
        ("closed_won_reason", "Closed Won Reason", "string", "textarea"),
    ],
    "tickets": [
        ("subject", "Ticket name"),
        ("content", "Ticket description", "string", "textarea"),
        ("hs_pipeline", "Pipeline", "enumeration", "select"),
        ("hs_pipeline_stage", "Ticket status", "enumeration", "select"),
        ("hs_ticket_priority", "Priority", "enumeration", "select", {"options": _opts(
            "LOW", "MEDIUM", "HIGH", "URGENT")}),
        ("hs_ticket_category", "Category", "enumeration", "checkbox", {"options": _opts(
            "PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY")}),
        ("source_type", "Source", "enumeration", "select", {"options": _opts(
            "EMAIL", "CHAT", "PHONE", "FORM")}),
        ("closed_date", "Close date", "datetime", "date"),
    ],
}  # fmt: skip


def default_properties(t: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, label, *rest in (_DEFAULTS.get(t) or STANDARD[t]) + _system(t):
        kw = rest.pop() if rest and isinstance(rest[-1], dict) else {}
        out[name] = make_property(t, name, label, *rest, **kw)
    return out


def default_groups(t: str) -> dict[str, dict[str, Any]]:
    name = group_name(t)
    return {
        name: {
            "name": name,
            "label": f"{SINGULAR[t]} information",
            "displayOrder": 0,
            "archived": False,
        }
    }


def default_pipelines(t: str) -> dict[str, dict[str, Any]]:
    if t == "deals":
        rows = [
            ("appointmentscheduled", "Appointment Scheduled", "0.2"),
            ("qualifiedtobuy", "Qualified To Buy", "0.4"),
            ("presentationscheduled", "Presentation Scheduled", "0.6"),
            ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
            ("contractsent", "Contract Sent", "0.9"),
            ("closedwon", "Closed Won", "1.0"),
            ("closedlost", "Closed Lost", "0.0"),
        ]
        stages = [
            make_stage(
                s, lbl, i, {"isClosed": str(s.startswith("closed")).lower(), "probability": p}
            )
            for i, (s, lbl, p) in enumerate(rows)
        ]
        pid, label = "default", "Sales Pipeline"
    elif t == "tickets":
        rows2 = [("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"),
                 ("3", "Waiting on us", "OPEN"), ("4", "Closed", "CLOSED")]  # fmt: skip
        stages = [
            make_stage(s, lbl, i, {"ticketState": st}) for i, (s, lbl, st) in enumerate(rows2)
        ]
        pid, label = "0", "Support Pipeline"
    else:
        return {}
    return {
        pid: {
            "id": pid, "label": label, "displayOrder": 0, "stages": stages,
            "createdAt": EPOCH_ISO, "updatedAt": EPOCH_ISO, "archived": False,
        }
    }  # fmt: skip
