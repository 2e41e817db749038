"""What a HubSpot property value may be, as pydantic types: the payload contract.

Every value is a string, as HubSpot takes it ("" clears a value). The constraints are
HubSpot's own: `date` as YYYY-MM-DD, `datetime` as ISO 8601 in UTC, numbers with one
decimal point, enumerations among their options, strings up to 65,536 characters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from moulin_sync.sources.app_du_moulin.quality import EMAIL_PATTERN
from moulin_sync.sources.app_du_moulin.vocabulary import Choice

MAX_STRING_CHARS = 65_536
INSTANT_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"

Text = Annotated[str, StringConstraints(max_length=MAX_STRING_CHARS)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING_CHARS)]
Filled = Annotated[str, StringConstraints(min_length=1)]
# Empty: a contact without email (the App du Moulin's cannot be theirs).
Email = Annotated[str, StringConstraints(pattern=rf"^$|{EMAIL_PATTERN}", max_length=254)]
Day = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
Instant = Annotated[str, StringConstraints(pattern=rf"^({INSTANT_PATTERN})?$")]
RequiredInstant = Annotated[str, StringConstraints(pattern=rf"^{INSTANT_PATTERN}$", min_length=1)]
Number = Annotated[str, StringConstraints(pattern=r"^(-?\d+(\.\d+)?)?$")]
Amount = Annotated[str, StringConstraints(pattern=r"^\d+(\.\d{1,2})?$")]
Count = Annotated[str, StringConstraints(pattern=r"^\d+$")]
Phone = Annotated[str, StringConstraints(pattern=r"^(\+\d{6,15})?$")]
Siret = Annotated[str, StringConstraints(pattern=r"^(\d{14})?$")]
Key = Annotated[str, StringConstraints(pattern=r"^\d+$")]
Bool = Literal["true", "false"]


def one_of(choices: tuple[Choice, ...], *, optional: bool = False) -> Any:
    """The value type of an enumeration: one of the choices' values (or empty, when
    `optional`)."""
    allowed = ("",) if optional else ()
    return Literal[(*allowed, *(choice.value for choice in choices))]  # type: ignore[valid-type]


def constant(value: str) -> Any:
    return Literal[value]  # type: ignore[valid-type]
