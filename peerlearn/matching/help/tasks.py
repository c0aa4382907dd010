"""Background work for help requests: the end of an offer round (widen or expire)."""

from __future__ import annotations

from django.tasks import task


@task()
def help_request_round_end(request_id: int, round: int) -> str:
    from . import services

    request = services.help_request_round_end(request_id=request_id, round=round)
    return request.status if request else "nothing to do"
