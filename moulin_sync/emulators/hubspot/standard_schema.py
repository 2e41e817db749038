"""Built-in properties of HubSpot's standard object types beyond the four moulin-sync
writes: line items, products, quotes, activities (calls, emails, meetings, notes, tasks,
communications, postal mail), feedback submissions, goals and leads.

Names and types follow HubSpot's object definitions; each list is the common core of a
type's properties, not all of them (see docs/hubspot-emulator.md). Rows are read by
`default_schema` as its own are: (name, label[, type, fieldType][, keywords]).
"""

from __future__ import annotations

from typing import Any

PropertyRow = tuple[Any, ...]


def options(*values: str) -> dict[str, Any]:
    """Keywords giving an enumeration its options (labels made from the values)."""
    return {
        "options": [
            {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i,
             "hidden": False, "description": ""}
            for i, v in enumerate(values)
        ]
    }  # fmt: skip


_TIMESTAMP: PropertyRow = ("hs_timestamp", "Activity date", "datetime", "date")
_DIRECTION = options("INBOUND", "OUTBOUND")

STANDARD: dict[str, list[PropertyRow]] = {
    "products": [
        ("name", "Name"),
        ("description", "Description", "string", "textarea"),
        ("price", "Unit price", "number", "number"),
        ("hs_sku", "SKU"),
        ("hs_cost_of_goods_sold", "Unit cost", "number", "number"),
        ("recurringbillingfrequency", "Billing frequency", "enumeration", "select",
         options("monthly", "quarterly", "annually")),
    ],
    "line_items": [
        ("name", "Name"),
        ("description", "Description", "string", "textarea"),
        ("price", "Unit price", "number", "number"),
        ("quantity", "Quantity", "number", "number"),
        ("amount", "Net price", "number", "number"),
        ("hs_product_id", "Product ID", "number", "number"),
        ("hs_sku", "SKU"),
        ("discount", "Unit discount", "number", "number"),
    ],
    "quotes": [
        ("hs_title", "Quote name"),
        ("hs_expiration_date", "Quote expiration date", "datetime", "date"),
        ("hs_status", "Quote approval status", "enumeration", "select",
         options("DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED", "REJECTED")),
        ("hs_quote_amount", "Quote amount", "number", "number"),
        ("hs_currency", "Currency"),
    ],
    "communications": [
        _TIMESTAMP,
        ("hs_communication_channel_type", "Channel type", "enumeration", "select",
         options("SMS", "WHATS_APP", "LINKEDIN_MESSAGE")),
        ("hs_communication_logged_from", "Logged from"),
        ("hs_communication_body", "Body", "string", "textarea"),
    ],
    "feedback_submissions": [
        ("hs_content", "Response", "string", "textarea"),
        ("hs_survey_type", "Survey type", "enumeration", "select", options("NPS", "CSAT", "CES")),
        ("hs_response_value", "Response value", "number", "number"),
        ("hs_submission_timestamp", "Submitted at", "datetime", "date"),
    ],
    "tasks": [
        _TIMESTAMP,
        ("hs_task_subject", "Task title"),
        ("hs_task_body", "Task notes", "string", "textarea"),
        ("hs_task_status", "Task status", "enumeration", "select",
         options("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        ("hs_task_priority", "Priority", "enumeration", "select", options("LOW", "MEDIUM", "HIGH")),
        ("hs_task_type", "Task type", "enumeration", "select", options("EMAIL", "CALL", "TODO")),
    ],
    "notes": [_TIMESTAMP, ("hs_note_body", "Note body", "string", "textarea")],
    "meetings": [
        _TIMESTAMP,
        ("hs_meeting_title", "Meeting name"),
        ("hs_meeting_body", "Meeting description", "string", "textarea"),
        ("hs_meeting_start_time", "Start time", "datetime", "date"),
        ("hs_meeting_end_time", "End time", "datetime", "date"),
        ("hs_meeting_outcome", "Meeting outcome", "enumeration", "select",
         options("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")),
    ],
    "calls": [
        _TIMESTAMP,
        ("hs_call_title", "Call title"),
        ("hs_call_body", "Call notes", "string", "textarea"),
        ("hs_call_duration", "Call duration", "number", "number"),
        ("hs_call_direction", "Call direction", "enumeration", "select", _DIRECTION),
        ("hs_call_status", "Call status", "enumeration", "select",
         options("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED",
                 "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING")),
    ],
    "emails": [
        _TIMESTAMP,
        ("hs_email_subject", "Email subject"),
        ("hs_email_text", "Email body", "string", "textarea"),
        ("hs_email_direction", "Email direction", "enumeration", "select",
         options("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
        ("hs_email_status", "Email send status", "enumeration", "select",
         options("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
    ],
    "goal_targets": [
        ("hs_goal_name", "Goal name"),
        ("hs_target_amount", "Target", "number", "number"),
        ("hs_start_datetime", "Start date", "datetime", "date"),
        ("hs_end_datetime", "End date", "datetime", "date"),
    ],
    "postal_mail": [_TIMESTAMP, ("hs_postal_mail_body", "Body", "string", "textarea")],
    "deal_splits": [
        ("hs_deal_split_percentage", "Split percentage", "number", "number"),
        ("hs_deal_id", "Deal ID", "number", "number"),
    ],
    "leads": [
        ("hs_lead_name", "Lead name"),
        ("hs_lead_type", "Lead type", "enumeration", "select",
         options("NEW_BUSINESS", "UPSELL", "RE_ATTEMPTING")),
        ("hs_lead_label", "Lead label", "enumeration", "select", options("COLD", "WARM", "HOT")),
    ],
}  # fmt: skip
