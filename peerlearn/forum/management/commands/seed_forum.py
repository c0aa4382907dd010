"""Default discussion categories: General, one per area, one per course (subjects with
threads in mind are many, so only with --courses), one members-only per institution;
``--demo`` adds a few threads and replies. Idempotent: existing slugs are left alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerlearn.accounts.models import Institution, Subject, User
from peerlearn.forum import services
from peerlearn.forum.models import Category, Thread


class Command(BaseCommand):
    help = "Create default discussion categories (and demo threads with --demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="Also add demo threads.")
        parser.add_argument("--courses", action="store_true", help="One category per subject.")

    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        _, new = services.category_ensure(
            slug="general",
            name="General",
            kind=Category.Kind.GENERAL,
            position=0,
            description="Anything about learning, PeerLearn and studying together.",
        )
        created += new
        for area in Subject.objects.filter(kind=Subject.Kind.AREA):
            _, new = services.category_ensure(
                slug=f"area-{area.slug}"[:140],
                name=area.name,
                kind=Category.Kind.AREA,
                subject_id=area.pk,
                position=10,
                description=area.description[:300],
            )
            created += new
        if options["courses"]:
            for subject in Subject.objects.filter(kind=Subject.Kind.SUBJECT):
                _, new = services.category_ensure(
                    slug=f"course-{subject.slug}"[:140],
                    name=subject.name,
                    kind=Category.Kind.COURSE,
                    subject_id=subject.pk,
                    position=20,
                )
                created += new
        for inst in Institution.objects.all():
            _, new = services.category_ensure(
                slug=f"inst-{inst.slug}"[:140],
                name=inst.name,
                kind=Category.Kind.INSTITUTION,
                institution_id=inst.pk,
                members_only=True,
                position=30,
                description=f"Only members of {inst.name} see this category.",
            )
            created += new
        self.stdout.write(f"{created} categories created.")
        if options["demo"]:
            self._demo()

    def _demo(self) -> None:
        if Thread.objects.exists():
            self.stdout.write("Threads exist; no demo content added.")
            return
        people = list(User.objects.filter(is_active=True).order_by("pk")[:3])
        if len(people) < 2:
            self.stdout.write("Need two users for demo threads (run seed_demo first).")
            return
        a, b = people[0], people[1]
        category = Category.objects.filter(members_only=False).exclude(slug="general").first()
        slug = category.slug if category else "general"
        thread = services.thread_create(
            actor=a,
            category_slug=slug,
            title="Why does my recursive Fibonacci take forever?",
            body="It works for small n but hangs at 40:\n\n```python\ndef fib(n):\n"
            "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n```",
            tags="python recursion",
        )
        reply = services.reply_create(
            actor=b,
            thread_id=thread.pk,
            body="Each call makes two more calls: that is exponential. Memoize it with "
            "`functools.cache`, or loop from the bottom up.",
        )
        services.answer_accept(actor=a, thread_id=thread.pk, reply_id=reply.pk)
        services.thread_create(
            actor=b,
            category_slug="general",
            title="How do you prepare for a peer session?",
            body="I write down **three questions** before every session. What works for you?",
            tags="study-tips",
        )
        self.stdout.write("Demo threads added.")
