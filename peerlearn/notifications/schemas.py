"""API input and output shapes for notifications and notification settings."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import StrictInt

from .models import Notification


class NotificationOut(Schema):
    id: int
    kind: Notification.Kind
    title: str
    body: str = Field(description="Plain text.")
    url: str = Field(description="A path on the site ('' when there is nothing to open).")
    absolute_url: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class UnreadCountOut(Schema):
    unread: int


class MarkedReadOut(Schema):
    marked: int = Field(description="How many notifications changed from unread to read.")


class NotificationSettingsOut(Schema):
    phone_number: str = Field(description="E.164, e.g. +4915123456789; '' when none.")
    sms_opt_in: bool
    reminder_offsets_minutes: list[int] = Field(
        description="Minutes before each session to send a reminder, largest first."
    )
    email_enabled: bool


class NotificationSettingsIn(Schema):
    phone_number: str = Field(
        max_length=32,
        description="International format; spaces, dashes and a leading 00 are accepted. "
        "'' removes the number (then sms_opt_in must be false).",
    )
    sms_opt_in: bool
    reminder_offsets_minutes: list[StrictInt] = Field(
        max_length=50,
        description="Whole minutes, each 5…10080; at most 5 distinct values; [] for none.",
    )
    email_enabled: bool


class KindPreferenceOut(Schema):
    kind: Notification.Kind
    label: str
    group: str = Field(description="Sessions, Reviews, Discussions, Messages, …")
    in_app: bool
    email: bool
    sms: bool | None = Field(description="null when the kind cannot be sent by text message.")


class NotificationPreferencesOut(Schema):
    email_enabled: bool = Field(
        description="The master email switch (set through /me/notification-settings)."
    )
    digest_enabled: bool
    kinds: list[KindPreferenceOut]


class ChannelSwitchesIn(Schema):
    in_app: bool | None = None
    email: bool | None = None
    sms: bool | None = None


class NotificationPreferencesIn(Schema):
    digest_enabled: bool
    preferences: dict[str, ChannelSwitchesIn] = Field(
        description="Kind → channel switches. Anything left out is on (the default), so this "
        "replaces all switches. SMS exists only for booking_reminder."
    )
