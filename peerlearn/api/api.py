"""The one NinjaAPI at /api/v1/: auth, error handlers and a router per app."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="PeerLearn API", version="1", urls_namespace="api")
