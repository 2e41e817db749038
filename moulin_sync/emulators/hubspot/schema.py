"""Property schema, property groups and pipelines of the emulated portal, and value validation.

Every object type owns a dict of property definitions in HubSpot's `Property` shape. Each
definition is compiled into a validator (`value -> normalised string`) so that checking a
batch of 100 records is a handful of dict look-ups per value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .errors import ApiError, PropertyError, bad_request, not_found

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
SINGULAR = {"contacts": "Contact", "companies": "Company", "deals": "Deal", "tickets": "Ticket"}
_ALIASES = {
    **{t: t for t in OBJECT_TYPES},
    **{v: k for k, v in TYPE_IDS.items()},
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
}
MAX_UNIQUE = 10
MAX_STRING = 65_536
PROPERTY_TYPES = {"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"}
FIELD_TYPES = {
    "booleancheckbox", "checkbox", "date", "file", "html", "number", "phonenumber",
    "radio", "select", "text", "textarea", "calculation_equation",
}  # fmt: skip
LASTMOD = {"contacts": "lastmodifieddate"}  # every other type uses hs_lastmodifieddate
# Written by the server only; a client value is refused with READ_ONLY_VALUE.
READ_ONLY = frozenset(
    {"hs_object_id", "hs_merged_object_ids", "lastmodifieddate", "hs_lastmodifieddate"}
)
# Properties returned by GET/list/search when the caller names none (as the SDK documents).
DEFAULT_RETURNED = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount", "closedate", "createdate", "dealname", "dealstage",
        "hs_lastmodifieddate", "hs_object_id", "pipeline",
    ),
    "tickets": (
        "content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
        "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject",
    ),
}  # fmt: skip
ALWAYS_RETURNED = {
    t: ("createdate", "hs_object_id", LASTMOD.get(t, "hs_lastmodifieddate")) for t in OBJECT_TYPES
}
REQUIRED_ON_CREATE = {
    "deals": ("dealname", "dealstage"),
    "tickets": ("subject", "hs_pipeline_stage"),
}
PIPELINE_PROPS = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
}
DEFAULT_PIPELINE = {"deals": "default", "tickets": "0"}


def resolve_type(name: str) -> str:
    """Map `contacts`, `contact`, `0-1`, ... to the canonical plural name, or raise 400."""
    t = _ALIASES.get(name.lower())
    if t is None:
        raise bad_request(f"Unable to infer object type from: {name}")
    return t


# --------------------------------------------------------------------------- default schema
EPOCH_ISO = "2019-01-01T00:00:00.000Z"


def _opts(*values: str | tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for i, v in enumerate(values):
        value, label = (v, v.replace("_", " ").title()) if isinstance(v, str) else v
        out.append(
            {"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
        )
    return out


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
        "groupName": group
        or f"{object_type[:-1] if object_type != 'companies' else 'company'}information",
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


_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN")
_LIFECYCLE = _opts(
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
    "opportunity", "customer", "evangelist", "other",
)  # fmt: skip


def _system(t: str) -> list[tuple]:
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
        ("hubspot_owner_id", "Owner", "string", "text"),
    ]


_DEFAULTS: dict[str, list[tuple]] = {
    "contacts": [
        ("email", "Email", "string", "text"),
        ("firstname", "First Name", "string", "text"),
        ("lastname", "Last Name", "string", "text"),
        ("phone", "Phone Number", "string", "phonenumber"),
        ("mobilephone", "Mobile Phone Number", "string", "phonenumber"),
        ("company", "Company Name", "string", "text"),
        ("jobtitle", "Job Title", "string", "text"),
        ("website", "Website URL", "string", "text"),
        ("address", "Street Address", "string", "text"),
        ("city", "City", "string", "text"),
        ("zip", "Postal Code", "string", "text"),
        ("state", "State/Region", "string", "text"),
        ("country", "Country/Region", "string", "text"),
        ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", {"options": _LIFECYCLE}),
        ("hs_lead_status", "Lead Status", "enumeration", "radio", {"options": _opts(
            "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED",
            "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING")}),
        ("hs_language", "Preferred language", "string", "text"),
        ("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox", {"read_only": True}),
        ("associatedcompanyid", "Primary Associated Company ID", "number", "number", {"read_only": True}),
    ],
    "companies": [
        ("name", "Company name", "string", "text"),
        ("domain", "Company Domain Name", "string", "text"),
        ("website", "Website URL", "string", "text"),
        ("phone", "Phone Number", "string", "phonenumber"),
        ("address", "Street Address", "string", "text"),
        ("city", "City", "string", "text"),
        ("zip", "Postal Code", "string", "text"),
        ("state", "State/Region", "string", "text"),
        ("country", "Country/Region", "string", "text"),
        ("industry", "Industry", "string", "text"),
        ("description", "Description", "string", "textarea"),
        ("numberofemployees", "Number of Employees", "number", "number"),
        ("annualrevenue", "Annual Revenue", "number", "number"),
        ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", {"options": _LIFECYCLE}),
        ("type", "Type", "enumeration", "select", {"options": _opts(
            "PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER")}),
    ],
    "deals": [
        ("dealname", "Deal Name", "string", "text"),
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
        ("subject", "Ticket name", "string", "text"),
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
    for row in _DEFAULTS[t] + _system(t):
        name, label, ptype, ftype, *extra = row
        kw = extra[0] if extra else {}
        out[name] = make_property(t, name, label, ptype, ftype, **kw)
    return out


def default_groups(t: str) -> dict[str, dict[str, Any]]:
    base = "company" if t == "companies" else t[:-1]
    return {
        f"{base}information": {
            "name": f"{base}information",
            "label": f"{SINGULAR[t]} information",
            "displayOrder": 0,
            "archived": False,
        }
    }


def _stage(sid: str, label: str, order: int, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "id": sid, "label": label, "displayOrder": order, "metadata": metadata,
        "createdAt": EPOCH_ISO, "updatedAt": EPOCH_ISO, "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }  # fmt: skip


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
            _stage(s, lbl, i, {"isClosed": str(s.startswith("closed")).lower(), "probability": p})
            for i, (s, lbl, p) in enumerate(rows)
        ]
        pid, label = "default", "Sales Pipeline"
    elif t == "tickets":
        rows2 = [("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"),
                 ("3", "Waiting on us", "OPEN"), ("4", "Closed", "CLOSED")]  # fmt: skip
        stages = [_stage(s, lbl, i, {"ticketState": st}) for i, (s, lbl, st) in enumerate(rows2)]
        pid, label = "0", "Support Pipeline"
    else:
        return {}
    return {
        pid: {
            "id": pid, "label": label, "displayOrder": 0, "stages": stages,
            "createdAt": EPOCH_ISO, "updatedAt": EPOCH_ISO, "archived": False,
        }
    }  # fmt: skip


# --------------------------------------------------------------------------- value validation
Validator = Callable[[str], str]
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
# HubSpot: RFC 2822 (an unquoted ASCII local part) and a domain that may be internationalized
# ("user@email.삼성" is valid, says HubSpot): labels of letters and digits of any script,
# hyphens inside. HubSpot also requires an IANA-delegated TLD; no TLD list is modeled here.
_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS = re.compile(r"^-?\d+$")
DAY_MS = 86_400_000


@lru_cache(maxsize=4096)
def iso_ms(ms: int) -> str:
    """Epoch milliseconds -> `2024-01-02T03:04:05.678Z` (HubSpot's timestamp form)."""
    d = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{d:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


@lru_cache(maxsize=65_536)
def to_epoch_ms(value: str) -> int | None:
    """Parse epoch ms, `YYYY-MM-DD` or ISO 8601 into epoch ms (None when unparseable)."""
    v = value.strip()
    if _DIGITS.match(v):
        return int(v)
    try:
        if _DATE.match(v):
            d = datetime.strptime(v, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            d = datetime.fromisoformat(v.replace("z", "Z"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=UTC)
    except ValueError:
        return None
    return round(d.timestamp() * 1000)


def _check_string(v: str) -> str:
    if len(v) > MAX_STRING:
        raise PropertyError(
            "INVALID_STRING_LENGTH",
            f"Value is {len(v)} characters long; the maximum is {MAX_STRING}",
        )
    return v


def _check_number(v: str) -> str:
    if not _NUMBER.match(v):
        raise PropertyError("INVALID_INTEGER", f"{v} was not a valid number.")
    return v


def _check_bool(v: str) -> str:
    low = v.lower()
    if low not in ("true", "false"):
        raise PropertyError("INVALID_BOOLEAN", f"{v} was not a valid boolean ('true' or 'false').")
    return low


def _check_date(v: str) -> str:
    ms = to_epoch_ms(v)
    if ms is None:
        raise PropertyError("INVALID_DATE", f"{v} was not a valid date (YYYY-MM-DD or epoch ms).")
    rest = ms % DAY_MS
    if rest:
        h, rem = divmod(rest, 3_600_000)
        m, rem = divmod(rem, 60_000)
        s, milli = divmod(rem, 1000)
        raise PropertyError(
            "INVALID_DATE", f"{v} is at {h}:{m:02d}:{s:02d}.{milli:03d} UTC, not midnight!"
        )
    return iso_ms(ms)[:10]


def _check_datetime(v: str) -> str:
    ms = to_epoch_ms(v)
    if ms is None:
        raise PropertyError(
            "INVALID_DATETIME", f"{v} was not a valid datetime (ISO 8601 or epoch ms)."
        )
    return iso_ms(ms)


def _check_email(v: str) -> str:
    _check_string(v)
    if not _EMAIL.match(v):
        raise PropertyError("INVALID_EMAIL", f"Email address {v} is invalid")
    return v.lower()


def _enum_validator(prop: dict[str, Any]) -> Validator:
    allowed = frozenset(o["value"] for o in prop.get("options") or [])
    multi = prop.get("fieldType") == "checkbox"
    name = prop["name"]

    def check(v: str) -> str:
        parts = v.split(";") if multi else (v,)
        for p in parts:
            if p not in allowed:
                raise PropertyError(
                    "INVALID_OPTION",
                    f"{p} was not one of the allowed options: [{', '.join(sorted(allowed))}]"
                    f" for property {name}",
                )
        return v

    return check


def compile_validator(object_type: str, prop: dict[str, Any]) -> Validator:
    name, ptype = prop["name"], prop["type"]
    if object_type == "contacts" and name == "email":
        return _check_email
    if name in PIPELINE_PROPS.get(object_type, ()):
        return _check_string  # checked against the pipelines by the store
    if ptype == "number":
        return _check_number
    if ptype == "bool":
        return _check_bool
    if ptype == "date":
        return _check_date
    if ptype == "datetime":
        return _check_datetime
    if ptype == "enumeration":
        return _enum_validator(prop)
    return _check_string


# --------------------------------------------------------------------------- the schema
class Schema:
    """Properties, groups and pipelines for every object type, with compiled validators."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        if data is None:
            data = {
                "properties": {t: default_properties(t) for t in OBJECT_TYPES},
                "groups": {t: default_groups(t) for t in OBJECT_TYPES},
                "pipelines": {t: default_pipelines(t) for t in OBJECT_TYPES},
                "next_pipeline_id": 1000,
            }
        self.properties: dict[str, dict[str, dict[str, Any]]] = data["properties"]
        self.groups: dict[str, dict[str, dict[str, Any]]] = data["groups"]
        self.pipelines: dict[str, dict[str, dict[str, Any]]] = data["pipelines"]
        self.next_pipeline_id: int = data["next_pipeline_id"]
        self.validators: dict[str, dict[str, Validator]] = {}
        self.unique: dict[str, tuple[str, ...]] = {}
        self.stage_sets: dict[str, dict[str, frozenset[str]]] = {}
        self.recompile()

    def to_json(self) -> dict[str, Any]:
        return {
            "properties": self.properties,
            "groups": self.groups,
            "pipelines": self.pipelines,
            "next_pipeline_id": self.next_pipeline_id,
        }

    def recompile(self) -> None:
        for t in OBJECT_TYPES:
            props = {n: p for n, p in self.properties[t].items() if not p.get("archived")}
            self.validators[t] = {n: compile_validator(t, p) for n, p in props.items()}
            uniq = [n for n, p in props.items() if p.get("hasUniqueValue")]
            if t == "contacts":
                uniq.insert(0, "email")
            self.unique[t] = tuple(uniq)
            self.stage_sets[t] = {
                pid: frozenset(s["id"] for s in p["stages"] if not s.get("archived"))
                for pid, p in self.pipelines[t].items()
                if not p.get("archived")
            }

    # -- values
    def validate(
        self, t: str, props: dict[str, Any], problems: list[tuple[str, str, str]]
    ) -> dict[str, str]:
        """Normalise `props`; append (name, code, message) for every invalid value."""
        validators = self.validators[t]
        out: dict[str, str] = {}
        for name, raw in props.items():
            check = validators.get(name)
            if check is None:
                problems.append(
                    (name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                )
                continue
            if name in READ_ONLY:
                problems.append((name, "READ_ONLY_VALUE", f'Property "{name}" is read-only'))
                continue
            if raw is None:
                out[name] = ""
                continue
            if raw.__class__ is not str:
                raw = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
            if raw == "":
                out[name] = ""
                continue
            try:
                out[name] = check(raw)
            except PropertyError as e:
                problems.append((name, e.code, e.message))
        return out

    def check_pipeline(
        self,
        t: str,
        new: dict[str, str],
        old: dict[str, str] | None,
        problems: list[tuple[str, str, str]],
    ) -> None:
        """Validate the pipeline and stage of a deal/ticket write (filling the default pipeline)."""
        pp = PIPELINE_PROPS.get(t)
        if pp is None:
            return
        pname, sname = pp
        if pname not in new and sname not in new:
            return
        pipeline = new.get(pname) or (old or {}).get(pname) or DEFAULT_PIPELINE[t]
        stages = self.stage_sets[t].get(pipeline)
        if stages is None:
            problems.append(
                (pname, "INVALID_OPTION", f"{pipeline} was not one of the allowed options: "
                 f"[{', '.join(sorted(self.stage_sets[t]))}] for property {pname}")
            )  # fmt: skip
            return
        if old is None or pname in new or not old.get(pname):
            new[pname] = pipeline
        stage = new.get(sname, (old or {}).get(sname))
        if stage and stage not in stages:
            problems.append(
                (sname, "INVALID_OPTION", f"{stage} was not one of the allowed options: "
                 f"[{', '.join(sorted(stages))}] for property {sname} in pipeline {pipeline}")
            )  # fmt: skip

    # -- properties API
    def get_property(self, t: str, name: str) -> dict[str, Any]:
        p = self.properties[t].get(name)
        if p is None or p.get("archived"):
            raise not_found(f"Unable to find property {name} on object type {TYPE_IDS[t]}")
        return p

    def create_property(self, t: str, body: dict[str, Any], now_iso: str) -> dict[str, Any]:
        name = body.get("name")
        for field in ("name", "label", "type", "fieldType", "groupName"):
            if not body.get(field):
                raise bad_request(f"Property {field} is required", "REQUIRED_FIELD")
        assert isinstance(name, str)
        if not re.match(r"^[a-z][a-z0-9_]*$", name):
            raise bad_request(f"Property name {name} must be lowercase alphanumeric with _")
        if name in self.properties[t] and not self.properties[t][name].get("archived"):
            raise ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists."
            )
        if body["type"] not in PROPERTY_TYPES:
            raise bad_request(f"Invalid property type {body['type']}")
        if body["fieldType"] not in FIELD_TYPES:
            raise bad_request(f"Invalid field type {body['fieldType']}")
        if body["groupName"] not in self.groups[t]:
            raise bad_request(f"Property group {body['groupName']} does not exist")
        if body["type"] == "enumeration" and not body.get("options"):
            raise bad_request("Enumeration properties need at least one option")
        unique = bool(body.get("hasUniqueValue"))
        if unique and len(self.unique[t]) - (t == "contacts") >= MAX_UNIQUE:
            raise bad_request(
                f"Can't create more than {MAX_UNIQUE} unique value properties for {TYPE_IDS[t]}",
                "TOO_MANY_UNIQUE_PROPERTIES",
            )
        ptype = "string" if body["type"] == "phone_number" else body["type"]
        prop = make_property(
            t, name, body["label"], ptype, body["fieldType"], group=body["groupName"],
            options=self._options(body.get("options")), unique=unique,
            hubspot_defined=False, description=body.get("description") or "",
        )  # fmt: skip
        prop["displayOrder"] = body.get("displayOrder", -1)
        prop["hidden"] = bool(body.get("hidden", False))
        prop["createdAt"] = prop["updatedAt"] = now_iso
        self.properties[t][name] = prop
        self.recompile()
        return prop

    def update_property(
        self, t: str, name: str, body: dict[str, Any], now_iso: str
    ) -> dict[str, Any]:
        prop = self.get_property(t, name)
        if prop["modificationMetadata"]["readOnlyDefinition"] and set(body) - {"options"}:
            raise bad_request(f"Property {name} is read only and can't be modified")
        if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != prop["hasUniqueValue"]:
            raise bad_request("hasUniqueValue can't be changed after a property is created")
        if "groupName" in body and body["groupName"] not in self.groups[t]:
            raise bad_request(f"Property group {body['groupName']} does not exist")
        for field in (
            "label",
            "description",
            "groupName",
            "displayOrder",
            "hidden",
            "fieldType",
            "type",
        ):
            if field in body:
                prop[field] = body[field]
        if "options" in body:
            prop["options"] = self._options(body["options"])
        prop["updatedAt"] = now_iso
        self.recompile()
        return prop

    def archive_property(self, t: str, name: str) -> None:
        prop = self.get_property(t, name)
        if prop["hubspotDefined"]:
            raise bad_request(f"Property {name} is a HubSpot default and can't be archived")
        del self.properties[t][name]
        self.recompile()

    @staticmethod
    def _options(options: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for i, o in enumerate(options or []):
            if "value" not in o or "label" not in o:
                raise bad_request("Every option needs a label and a value")
            out.append(
                {
                    "label": o["label"],
                    "value": o["value"],
                    "displayOrder": o.get("displayOrder", i),
                    "hidden": bool(o.get("hidden", False)),
                    "description": o.get("description") or "",
                }
            )
        return out

    # -- groups
    def create_group(self, t: str, body: dict[str, Any]) -> dict[str, Any]:
        name, label = body.get("name"), body.get("label")
        if not name or not label:
            raise bad_request("A property group needs a name and a label")
        if name in self.groups[t]:
            raise ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' already exists."
            )
        group = {
            "name": name,
            "label": label,
            "displayOrder": body.get("displayOrder", -1),
            "archived": False,
        }
        self.groups[t][name] = group
        return group

    # -- pipelines
    def get_pipeline(self, t: str, pid: str) -> dict[str, Any]:
        p = self.pipelines[t].get(pid)
        if p is None:
            raise not_found(f"Unable to find pipeline {pid} for object type {TYPE_IDS[t]}")
        return p

    def create_pipeline(self, t: str, body: dict[str, Any], now_iso: str) -> dict[str, Any]:
        if t not in ("deals", "tickets"):
            raise bad_request(f"Object type {t} has no pipelines")
        label = body.get("label")
        stages_in = body.get("stages") or []
        if not label or not stages_in:
            raise bad_request("A pipeline needs a label and at least one stage")
        if any(p["label"] == label for p in self.pipelines[t].values()):
            raise ApiError(409, "CONFLICT", f"A pipeline with label {label} already exists")
        pid = str(self.next_pipeline_id)
        self.next_pipeline_id += 1
        stages = []
        for i, s in enumerate(stages_in):
            sid = str(self.next_pipeline_id)
            self.next_pipeline_id += 1
            meta = {k: str(v) for k, v in (s.get("metadata") or {}).items()}
            if t == "deals" and "probability" not in meta:
                raise bad_request("Deal stages need metadata.probability")
            stage = _stage(sid, s.get("label", sid), s.get("displayOrder", i), meta)
            stage["createdAt"] = stage["updatedAt"] = now_iso
            stages.append(stage)
        pipeline = {
            "id": pid, "label": label, "displayOrder": body.get("displayOrder", len(self.pipelines[t])),
            "stages": stages, "createdAt": now_iso, "updatedAt": now_iso, "archived": False,
        }  # fmt: skip
        self.pipelines[t][pid] = pipeline
        self.recompile()
        return pipeline

    def clone(self) -> Schema:
        return Schema(copy.deepcopy(self.to_json()))
