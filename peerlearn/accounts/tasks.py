"""Background work for accounts. Tasks are adapters: load, then call a service or a mailer."""

from __future__ import annotations

from django.tasks import task

from peerlearn.common.mail import send_templated_email

from .models import VerificationDecision


@task()
def send_verification_decision_email(decision_id: int) -> None:
    decision = VerificationDecision.objects.select_related(
        "request__teaching_subject__user__profile", "request__teaching_subject__subject"
    ).get(pk=decision_id)
    tutor = decision.request.teaching_subject.user
    send_templated_email(
        to=[tutor.email],
        template="accounts/email/verification_decision",
        context={
            "decision": decision,
            "tutor": tutor,
            "subject": decision.request.teaching_subject.subject,
        },
    )


@task()
def build_data_export(export_id: int) -> bool:
    from .datarights import data_export_build

    return data_export_build(export_id=export_id) is not None
