"""Where alerts go: a Slack incoming webhook and an SMTP mailbox, each optional.

A channel that fails is reported back in words (naming the setting to check), never
raised: one receiver down must not stop the other, nor the sensor.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from moulin_sync.settings import MoulinSettings

TIMEOUT_SECONDS = 10
DEFAULT_SENDER = "moulin-sync@localhost"


@dataclass(frozen=True)
class SlackChannel:
    webhook_url: str

    def send(self, subject: str, paragraph: str) -> str | None:
        try:
            response = httpx.post(
                self.webhook_url, json={"text": paragraph}, timeout=TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            # httpx's messages may quote the URL, which is the secret.
            return (
                f"Slack: could not reach the webhook ({type(exc).__name__}); "
                "check MOULIN_ALERT_SLACK_WEBHOOK"
            )
        if response.is_error:
            return (
                f"Slack: the webhook answered HTTP {response.status_code}; "
                "check MOULIN_ALERT_SLACK_WEBHOOK"
            )
        return None


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = True

    def send(self, subject: str, paragraph: str) -> str | None:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(paragraph)
        where = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError:
            return (
                f"email: {where} refused the login; check MOULIN_ALERT_SMTP_USER and "
                "MOULIN_ALERT_SMTP_PASSWORD"
            )
        except smtplib.SMTPRecipientsRefused:
            return f"email: {where} refused every recipient; check MOULIN_ALERT_EMAIL_TO"
        except smtplib.SMTPNotSupportedError:
            return (
                f"email: {where} does not offer STARTTLS; set MOULIN_ALERT_SMTP_STARTTLS=false "
                "only for a server on a trusted network"
            )
        except (smtplib.SMTPException, OSError) as exc:
            return (
                f"email: could not send through {where} ({type(exc).__name__}: {exc}); check "
                "MOULIN_ALERT_SMTP_HOST and MOULIN_ALERT_SMTP_PORT"
            )
        if refused:
            return (
                f"email: {where} refused {', '.join(sorted(refused))}; check MOULIN_ALERT_EMAIL_TO"
            )
        return None


Channel = SlackChannel | EmailChannel


@dataclass(frozen=True)
class AlertChannels:
    channels: tuple[Channel, ...]
    # Settings half set (an SMTP host without recipients...), for the sensor's log.
    notes: tuple[str, ...] = ()
    # Values never to let out, should an error text ever quote one.
    secrets: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: MoulinSettings) -> AlertChannels:
        channels: list[Channel] = []
        notes: list[str] = []
        secrets: list[str] = []
        if settings.alert_slack_webhook is not None:
            url = settings.alert_slack_webhook.get_secret_value()
            channels.append(SlackChannel(url))
            secrets.append(url)
        password = (
            settings.alert_smtp_password.get_secret_value()
            if settings.alert_smtp_password is not None
            else None
        )
        if password:
            secrets.append(password)
        if settings.alert_smtp_host and settings.alert_email_to:
            channels.append(
                EmailChannel(
                    host=settings.alert_smtp_host,
                    port=settings.alert_smtp_port,
                    sender=_sender(settings, notes),
                    recipients=tuple(settings.alert_email_to),
                    user=settings.alert_smtp_user,
                    password=password,
                    starttls=settings.alert_smtp_starttls,
                )
            )
        elif settings.alert_smtp_host:
            notes.append(
                "MOULIN_ALERT_SMTP_HOST is set but MOULIN_ALERT_EMAIL_TO is empty: no email "
                'is sent. Set MOULIN_ALERT_EMAIL_TO to a JSON list, e.g. ["web@lemoulin.fr"].'
            )
        elif settings.alert_email_to:
            notes.append(
                "MOULIN_ALERT_EMAIL_TO is set but MOULIN_ALERT_SMTP_HOST is not: no email is "
                "sent. Set MOULIN_ALERT_SMTP_HOST to your mail server."
            )
        return cls(tuple(channels), tuple(notes), tuple(secrets))

    @property
    def configured(self) -> bool:
        return bool(self.channels)

    def send(self, subject: str, paragraph: str) -> list[str]:
        """Send to every channel; the failures, one sentence each (empty: all sent)."""
        subject, paragraph = self._redact(subject), self._redact(paragraph)
        failures = []
        for channel in self.channels:
            failure = channel.send(subject, paragraph)
            if failure is not None:
                failures.append(self._redact(failure))
        return failures

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _sender(settings: MoulinSettings, notes: list[str]) -> str:
    if settings.alert_email_from:
        return settings.alert_email_from
    user = settings.alert_smtp_user
    sender = user if user and "@" in user else DEFAULT_SENDER
    notes.append(
        f"MOULIN_ALERT_EMAIL_FROM is unset: alerts are mailed from {sender}, which many "
        "servers refuse. Set MOULIN_ALERT_EMAIL_FROM to an address the server accepts."
    )
    return sender
