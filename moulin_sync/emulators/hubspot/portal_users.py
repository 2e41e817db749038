"""The portal's owners (HubSpot users who can own records): a portal always has at least
its super admin, the one owner an empty portal answers with."""

from __future__ import annotations

from typing import Any

from .default_schema import EPOCH_ISO

OWNERS: list[dict[str, Any]] = [
    {
        "id": "75000001",
        "email": "owner@moulin.example",
        "type": "PERSON",
        "firstName": "Portal",
        "lastName": "Owner",
        "userId": 9000001,
        "userIdIncludingInactive": 9000001,
        "createdAt": EPOCH_ISO,
        "updatedAt": EPOCH_ISO,
        "archived": False,
        "teams": [],
    }
]
