"""Help requests: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``HelpRequestsConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountLeaving, DataExportCollecting
from peerlearn.common import hooks

from .models import HelpRequest
from .services import help_request_cancel


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountLeaving, leave)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["help_requests"] = lambda: rows(
        HelpRequest.objects.filter(learner_id=u),
        "subject__name",
        "description",
        "starts_at",
        "status",
        "created_at",
    )


def leave(event: AccountLeaving) -> None:
    user = event.user
    for request_id in HelpRequest.objects.filter(
        learner=user, status=HelpRequest.Status.OPEN
    ).values_list("pk", flat=True):
        help_request_cancel(actor=user, request_id=request_id)
