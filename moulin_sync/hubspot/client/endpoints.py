"""The HubSpot routes moulin-sync calls, as the retry policy and the counters see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One HubSpot route."""

    method: str
    template: str
    # Safe to send twice: the second attempt cannot duplicate data. False for creates
    # (a second batch create makes second records) and merges.
    idempotent: bool = True
    search: bool = False

    @property
    def is_write(self) -> bool:
        # Search and batch/read are POSTs that change nothing.
        return (
            self.method != "GET" and not self.search and not self.template.endswith("/batch/read")
        )

    def key(self, **types: str) -> str:
        """``"POST /crm/v3/objects/contacts/batch/upsert"``: object types filled in, ids not."""
        path = self.template
        for name, value in types.items():
            path = path.replace("{" + name + "}", value)
        return f"{self.method} {path}"


_OBJECTS = "/crm/v3/objects/{objectType}"
_ASSOCIATIONS = "/crm/v4/associations/{fromObjectType}/{toObjectType}"
_PROPERTIES = "/crm/v3/properties/{objectType}"

BATCH_CREATE = Endpoint("POST", f"{_OBJECTS}/batch/create", idempotent=False)
BATCH_UPSERT = Endpoint("POST", f"{_OBJECTS}/batch/upsert")
BATCH_UPDATE = Endpoint("POST", f"{_OBJECTS}/batch/update")
BATCH_READ = Endpoint("POST", f"{_OBJECTS}/batch/read")
BATCH_ARCHIVE = Endpoint("POST", f"{_OBJECTS}/batch/archive")
SEARCH = Endpoint("POST", f"{_OBJECTS}/search", search=True)
GET_OBJECT = Endpoint("GET", f"{_OBJECTS}/{{objectId}}")
LIST_OBJECTS = Endpoint("GET", _OBJECTS)
MERGE = Endpoint("POST", f"{_OBJECTS}/merge", idempotent=False)
# Sent twice, a GDPR delete finds nothing the second time (404): nothing is duplicated.
GDPR_DELETE = Endpoint("POST", "/crm/v3/objects/contacts/gdpr-delete")
ASSOCIATIONS_CREATE = Endpoint("POST", f"{_ASSOCIATIONS}/batch/create")
ASSOCIATIONS_READ = Endpoint("POST", f"{_ASSOCIATIONS}/batch/read")
ASSOCIATIONS_ARCHIVE = Endpoint("POST", f"{_ASSOCIATIONS}/batch/archive")
LIST_PROPERTIES = Endpoint("GET", _PROPERTIES)
GET_PROPERTY = Endpoint("GET", f"{_PROPERTIES}/{{propertyName}}")
GET_GROUP = Endpoint("GET", f"{_PROPERTIES}/groups/{{groupName}}")
# Creating a property or group twice cannot duplicate it (names are unique): a retry after
# a lost answer at worst gets a 409 CONFLICT — the first attempt's own doing, so the create
# answers with what that attempt made.
CREATE_GROUP = Endpoint("POST", f"{_PROPERTIES}/groups")
CREATE_PROPERTY = Endpoint("POST", _PROPERTIES)
UPDATE_PROPERTY = Endpoint("PATCH", f"{_PROPERTIES}/{{propertyName}}")
PIPELINES = Endpoint("GET", "/crm/v3/pipelines/{objectType}")
# A replayed pipeline create would make a second pipeline: never retried blindly (a lost
# answer is reconciled by label).
CREATE_PIPELINE = Endpoint("POST", "/crm/v3/pipelines/{objectType}", idempotent=False)
