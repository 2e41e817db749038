"""What a synced stream is: one `StreamSpec` holds everything moulin-sync needs to know.

A stream writes records of one HubSpot object type, keyed by one unique property: its
properties (with the custom ones' definitions: the property schema, as code), the transform from source tables to payloads, its links to other streams'
records as associations, how it adopts records made by someone else, and its pipeline.
The asset factory, the write path, the property schema and the dry run all read the
spec; nothing else lists a stream's properties or association types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

from moulin_sync.sources.app_du_moulin.vocabulary import Choice

if TYPE_CHECKING:
    from moulin_sync.hubspot.streams.payloads import Payloads
    from moulin_sync.settings import GdprErasure

PropertyType = Literal["string", "number", "date", "datetime", "enumeration", "bool"]

RECORD_NOUNS = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket"}
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
class PropertyGroup:
    """A group of the portal's properties, as the HubSpot UI shows them together."""

    name: str
    label: str


APP_DU_MOULIN_GROUP = PropertyGroup(GROUP_NAME, GROUP_LABEL)


@dataclass(frozen=True)
class Property:
    """A property a stream writes that HubSpot has already (email, dealname...)."""

    name: str
    value: Any  # the pydantic type of its value in a payload (see `values.py`)


@dataclass(frozen=True)
class Custom(Property):
    """A property of moulin-sync's own, created in the portal's "App du Moulin" group."""

    label: str
    type: PropertyType
    description: str
    options: tuple[Choice, ...] = ()
    unique: bool = False
    field_type: str | None = None

    def definition(self, group: str = GROUP_NAME) -> dict[str, Any]:
        """The body of `POST /crm/v3/properties/{objectType}`, in property group `group`."""
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type or FIELD_TYPES[self.type],
            "groupName": group,
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


@dataclass(frozen=True)
class Lookup:
    """Where a link's target is found when the target stream does not hold it: the HubSpot
    record of the target's type whose `property` holds the payload's `column` value (a
    requester's contact by email, made by someone else). Found, never created."""

    column: str  # e.g. "requester_email"
    property: str  # a unique property of the target type, e.g. "email"


@dataclass(frozen=True)
class Link:
    """A payload column naming another stream's record, sent as an association."""

    column: str  # e.g. "company_key": the target's source key
    stream: str  # the stream that writes the targets, e.g. "companies"
    type_ids: tuple[int, ...]  # HubSpot association types, e.g. (279, 1): unlabeled, primary
    # A record naming a target is not created before the target is in HubSpot: it waits.
    required: bool = False
    # Another link column that, when its target is in HubSpot, lets the record go without
    # this one (a B2B deal goes with its company when its contact cannot be made); the
    # missing association is added when the target lands.
    unless: str | None = None
    # Where the target is found in HubSpot when the column names none the target stream
    # holds; a record whose target is found neither way waits (a required link).
    lookup: Lookup | None = None

    @property
    def resolved(self) -> str:
        """The column the target's HubSpot id is resolved into."""
        return f"{self.column}_id"

    def types(self) -> list[dict[str, Any]]:
        """The association's types as HubSpot takes them."""
        return [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
            for type_id in self.type_ids
        ]


@dataclass(frozen=True)
class Stage:
    label: str
    probability: str
    closed: bool
    statuses: tuple[str, ...]  # the source statuses it holds


@dataclass(frozen=True)
class PipelineSpec:
    """The pipeline a stream's records move through, and which stage each status is."""

    object_type: str
    default_label: str  # created by moulin-sync when it is the one configured
    stages: tuple[Stage, ...]  # in board order
    # The environment variables choosing the pipeline (label or id) and overriding
    # {status: stage label or id}: MOULIN_DEAL_PIPELINE, MOULIN_DEAL_STAGES.
    label_variable: str
    stages_variable: str
    status_noun: str = "status"  # what a status is, in errors: "order status"
    # The statuses a source may have beyond the defaults' (a regular expression: Freshdesk's
    # custom statuses, numbered from 6), which the stages variable may map too.
    status_pattern: str | None = None
    # The status whose stage a status with no stage goes to (reported); None: such a
    # record is quarantined by its stream.
    fallback_status: str | None = None

    @property
    def default_stage_for_status(self) -> dict[str, str]:
        return {status: stage.label for stage in self.stages for status in stage.statuses}

    def stage_metadata(self, stage: Stage) -> dict[str, str]:
        """A stage's metadata as HubSpot wants it for the object type: a ticket stage is
        open or closed (`ticketState`), a deal stage has a probability."""
        if self.object_type == "tickets":
            return {"ticketState": "CLOSED" if stage.closed else "OPEN"}
        return {"probability": stage.probability, "isClosed": str(stage.closed).lower()}

    def body(self, label: str) -> dict[str, Any]:
        """The body of `POST /crm/v3/pipelines/{objectType}` for the default stages."""
        return {
            "label": label,
            "displayOrder": 99,
            "stages": [
                {
                    "label": stage.label,
                    "displayOrder": i,
                    "metadata": self.stage_metadata(stage),
                }
                for i, stage in enumerate(self.stages)
            ],
        }


class PipelineStages(BaseModel):
    """A pipeline as found (or made) in HubSpot: its id, and each status's stage id."""

    model_config = ConfigDict(frozen=True)

    object_type: str
    pipeline_id: str
    label: str
    stage_ids: dict[str, str]
    created: bool = False


def nothing_written(source_keys: Sequence[str]) -> Mapping[str, str | None]:
    return {}


@dataclass(frozen=True)
class TransformContext:
    timezone: str  # where days and months are counted (Europe/Paris)
    pipeline: PipelineStages | None = None
    # What moulin-sync last wrote into some of the stream's records (the state store's
    # fingerprint text, by source key): a transform asks for the few it must decide on,
    # such as which of two customers sharing an email already holds it in HubSpot.
    last_written: Callable[[Sequence[str]], Mapping[str, str | None]] = field(
        default=nothing_written
    )


Transform = Callable[..., "Payloads"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class StreamSpec:
    name: str  # the stream, and its records' namespace in the state store
    properties: tuple[Property, ...]  # what a payload carries, in the order hashed
    transform: Transform  # the source frames (by parameter name) and a context → Payloads
    # The transform's parameters, each the full key of the source asset it takes:
    # {"orders": ("app_du_moulin", "orders"), "tickets": ("freshdesk", "tickets")}.
    sources: Mapping[str, tuple[str, ...]]
    description: str
    links: tuple[Link, ...] = ()
    # A property that identifies a record someone else made (a form's contact, by email):
    # such a record is adopted, never duplicated.
    adopt_by: str | None = None
    pipeline: PipelineSpec | None = None
    partitioned: bool = False  # by month: records carry a `partition_key`
    payload_description: str = ""
    write_description: str = ""
    # The HubSpot object type it writes, when it is not the stream's name.
    hubspot_object: str | None = None
    # How a record written despite a warning of its payload's is described ("created
    # without email"): the run's summary and the assets' metadata count them so.
    warned_as: str = "written with a warning"
    # The payload column naming the customer a record is theirs (the one-customer paths
    # keep the customer's own: their contact, not their colleagues'); None: all of the
    # customer's share (their companies).
    customer_column: str | None = None
    # The stream whose records this one only adds properties to (NPS answers on
    # contacts): its records are keyed by the owner's source keys; it never creates,
    # erases nor archives a record, and waits until the owner's record is in HubSpot.
    enriches: str | None = None
    # A property group of its own in the portal (name, label): each source's custom
    # properties together (default: the App du Moulin's group).
    property_group: PropertyGroup = APP_DU_MOULIN_GROUP
    # The values a record is written with when HubSpot will not take its adoption value
    # (the email): another of our records holds it ("shared": both stay, neither merged
    # on a guess), or HubSpot finds it "invalid".
    withhold: Callable[[Mapping[str, str], str], dict[str, str]] | None = None
    # What becomes of a record the source took out (`Payloads.erased`): "gdpr", as
    # MOULIN_GDPR_ERASURE says (a person erased at the source); "archive", archived
    # whatever it says (a ticket deleted or marked spam is nobody's erasure).
    erasure: Literal["gdpr", "archive"] = "gdpr"

    def erasure_policy(self, gdpr: GdprErasure) -> GdprErasure:
        """What this stream does with the records the source took out, given the GDPR
        policy."""
        return "archive" if self.erasure == "archive" else gdpr

    @property
    def object_type(self) -> str:
        return self.hubspot_object or self.name

    @property
    def warned_key(self) -> str:
        """The metadata name of the count of warned records: `created_without_email`."""
        return self.warned_as.replace(" ", "_")

    @property
    def gdpr_deletable(self) -> bool:
        """HubSpot's GDPR delete exists for contacts only; other records are archived.
        A stream enriching another's records erases nothing: the owner does."""
        return self.object_type == "contacts" and self.enriches is None

    @property
    def erases(self) -> bool:
        """Whether records erased at the source are erased (or archived) by this stream."""
        return self.enriches is None

    @property
    def record_noun(self) -> str:
        """One of its HubSpot records, in words: "contact", "company", "deal"."""
        return RECORD_NOUNS.get(self.object_type, self.object_type)

    @property
    def key_property(self) -> str | None:
        """The unique property every write is keyed by: its one unique custom property
        (None for a stream enriching another's records, which it reaches by their ids)."""
        keys = [p.name for p in self.custom_properties if p.unique]
        if self.enriches is not None and not keys:
            return None
        if len(keys) != 1:
            raise ValueError(f"stream {self.name} needs exactly one unique custom property")
        return keys[0]

    @property
    def source_names(self) -> tuple[str, ...]:
        """The sources it reads (the first part of its source assets' keys)."""
        return tuple(dict.fromkeys(key[0] for key in self.sources.values()))

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)

    @property
    def custom_properties(self) -> tuple[Custom, ...]:
        return tuple(p for p in self.properties if isinstance(p, Custom))

    @property
    def link_columns(self) -> tuple[str, ...]:
        """The payload columns its links need: each target's source key, and the value
        a target is looked up by when the target stream does not hold it."""
        lookups = tuple(link.lookup.column for link in self.links if link.lookup is not None)
        return tuple(dict.fromkeys((*(link.column for link in self.links), *lookups)))

    @cached_property
    def model(self) -> type[BaseModel]:
        """The pydantic model every payload of the stream must satisfy."""
        fields: dict[str, Any] = {p.name: (p.value, ...) for p in self.properties}
        title = "".join(part.title() for part in self.name.replace(".", "_").split("_"))
        return create_model(f"{title}Payload", __base__=_Payload, **fields)
