"""Writes for discussions: threads, replies, edits, votes, accepted answers, subscriptions,
flags and moderation. Each service checks access through ``selectors`` (so a members-only
category is as invisible here as on the page), owns its transaction, and publishes live events
and notifications on commit."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.models import User
from peerlearn.accounts.roles import require_moderator
from peerlearn.common import hooks, ratelimit
from peerlearn.common.errors import Conflict, Forbidden, Invalid
from peerlearn.common.markdown import render_markdown
from peerlearn.common.realtime import broadcast
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify

from . import events, selectors
from .hooks import AnswerAccepted, UpvoteGiven
from .models import (
    BODY_MAX,
    REASON_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Category,
    CategoryMember,
    Flag,
    ModerationAction,
    PostEdit,
    Reply,
    Status,
    Subscription,
    Tag,
    Thread,
    Vote,
)

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.-]{0,39}$")


def edit_window() -> timedelta:
    return timedelta(minutes=settings.FORUM_EDIT_WINDOW_MINUTES)


def _limit(kind: str, actor: User, *, message: str) -> None:
    """Per person: FORUM_<KIND>_LIMIT actions per FORUM_<KIND>_WINDOW_SECONDS."""
    ratelimit.check(
        f"forum:{kind}:{actor.pk}",
        limit=int(getattr(settings, f"FORUM_{kind.upper()}_LIMIT")),
        window_seconds=int(getattr(settings, f"FORUM_{kind.upper()}_WINDOW_SECONDS")),
        message=message,
    )


def thread_url(thread: Thread) -> str:
    return reverse("forum:thread", args=[thread.pk])


def reply_url(reply: Reply) -> str:
    return f"{reverse('forum:thread', args=[reply.thread_id])}?reply={reply.pk}#reply-{reply.pk}"


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid("Write something first.", code="required", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"Posts are at most {BODY_MAX} characters.", code="too_long", field="body")
    return body


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < 5:
        raise Invalid(
            "Give the thread a title of at least 5 characters.", code="required", field="title"
        )
    if len(title) > TITLE_MAX:
        raise Invalid(f"Titles are at most {TITLE_MAX} characters.", code="too_long", field="title")
    return title


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    if isinstance(tags, str):
        tags = re.split(r"[\s,]+", tags)
    names: list[str] = []
    for raw in tags:
        name = slugify(raw.strip().lstrip("#")) if raw.strip() not in {"c++", "c#"} else raw
        name = name.lower()
        if not name:
            continue
        if not TAG_RE.match(name):
            raise Invalid(f"“{raw}” is not a tag.", code="invalid_tag", field="tags")
        if name not in names:
            names.append(name)
    if len(names) > TAGS_MAX:
        raise Invalid(f"At most {TAGS_MAX} tags.", code="too_many_tags", field="tags")
    return names


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("Give a reason.", code="required", field="reason")
    return reason[:REASON_MAX]


def _update_search_vector(model: type[Thread] | type[Reply], pk: int) -> None:
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    vector: Any
    if model is Thread:
        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "body", weight="B", config="english"
        )
    else:
        vector = SearchVector("body", weight="B", config="english")
    model.objects.filter(pk=pk).update(search_vector=vector)


def preview(*, body: str) -> str:
    """The HTML a post's markdown will have (the same renderer as on save)."""
    return render_markdown((body or "")[:BODY_MAX])


# --- threads and replies ------------------------------------------------------------------------


def thread_create(
    *, actor: User, category_slug: str, title: str, body: str, tags: Iterable[str] | str = ()
) -> Thread:
    """Start a thread in a category the actor can see; the author subscribes to it.
    Subscribers of the category are notified on commit."""
    category = selectors.access_category(actor, category_slug)
    title, body, tag_names = _clean_title(title), _clean_body(body), clean_tags(tags)
    _limit("thread", actor, message="You started many threads. Wait a bit.")
    with transaction.atomic():
        thread = Thread.objects.create(
            category=category, author=actor, title=title, body=body, html=render_markdown(body)
        )
        thread.tags.set([Tag.objects.get_or_create(name=n)[0] for n in tag_names])
        _update_search_vector(Thread, thread.pk)
        started: events.ThreadStartedEvent = {
            "type": "thread",
            "id": thread.pk,
            "category": category.pk,
        }
        broadcast(events.category_group(category.pk), started)
        Subscription.objects.get_or_create(user=actor, thread=thread)
        for sub in (
            Subscription.objects.filter(category=category)
            .exclude(user=actor)
            .select_related("user")
        ):
            notify(
                user=sub.user,
                kind=Notification.Kind.REPLY,
                title=f"New thread in {category.name}: {title}",
                body=body[:300],
                url=thread_url(thread),
            )
    return thread


MENTION_RE = re.compile(r"@\[([^\]\n]{1,80})\]|@(\w[\w.-]{1,40})")


def _mentioned(body: str, thread: Thread) -> set[int]:
    """Users mentioned as ``@[Display Name]`` or ``@Name`` who can read the thread."""
    names = {a or b for a, b in MENTION_RE.findall(body)}
    if not names:
        return set()
    candidates = User.objects.filter(profile__display_name__in=list(names)[:10]).select_related(
        "profile"
    )
    ids = set()
    for user in candidates:
        if selectors.visible_threads(user).filter(pk=thread.pk).exists():
            ids.add(user.pk)
    return ids


def reply_create(*, actor: User, thread_id: int, body: str) -> Reply:
    """Reply to an open thread. Bumps the thread's activity, subscribes the author, notifies the
    thread's and the category's subscribers (``reply``) and people mentioned (``mention``), and
    tells readers of the thread, all on commit."""
    body = _clean_body(body)
    _limit("reply", actor, message="You are replying fast. Wait a minute.")
    with transaction.atomic():
        thread = selectors.access_thread(actor, thread_id)
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.locked and not actor.is_moderator:
            raise Conflict("This thread is locked.", code="locked")
        if thread.status != Status.VISIBLE:
            raise Conflict("This thread is hidden.", code="hidden")
        now = timezone.now()
        reply = Reply.objects.create(
            thread=thread, author=actor, body=body, html=render_markdown(body), created_at=now
        )
        _update_search_vector(Reply, reply.pk)
        Thread.objects.filter(pk=thread.pk).update(
            reply_count=Reply.objects.filter(thread=thread, status=Status.VISIBLE).count(),
            last_activity_at=now,
        )
        Subscription.objects.get_or_create(user=actor, thread=thread)
        mentioned = _mentioned(body, thread) - {actor.pk}
        subscribers = (
            set(
                Subscription.objects.filter(Q(thread=thread) | Q(category_id=thread.category_id))
                .exclude(user=actor)
                .values_list("user_id", flat=True)
            )
            - mentioned
        )
        name = actor.display_name
        for user in User.objects.filter(pk__in=subscribers | mentioned):
            is_mention = user.pk in mentioned
            notify(
                user=user,
                kind=Notification.Kind.MENTION if is_mention else Notification.Kind.REPLY,
                title=(
                    f"{name} mentioned you in “{thread.title}”"
                    if is_mention
                    else f"{name} replied to “{thread.title}”"
                ),
                body=body[:300],
                url=reply_url(reply),
            )
        event: events.ReplyEvent = {"type": "reply", "id": reply.pk, "thread": thread.pk}
        broadcast(events.thread_group(thread.pk), event)
    return reply


def _check_can_edit(actor: User, author_id: int, created_at: object) -> None:
    if actor.is_moderator:
        return
    if actor.pk != author_id:
        raise Forbidden("Only the author can edit this.")
    assert hasattr(created_at, "__add__")
    if timezone.now() > created_at + edit_window():  # type: ignore[operator]
        minutes = int(edit_window().total_seconds() // 60)
        raise Conflict(
            f"Posts can be edited for {minutes} minutes after posting.", code="edit_window_closed"
        )


def thread_edit(
    *, actor: User, thread_id: int, title: str, body: str, tags: Iterable[str] | str | None = None
) -> Thread:
    """Change a thread's title, body (and tags) within the edit window (moderators: any time).
    The previous version is kept in ``PostEdit``."""
    title, body = _clean_title(title), _clean_body(body)
    with transaction.atomic():
        thread = selectors.access_thread(actor, thread_id)
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        _check_can_edit(actor, thread.author_id, thread.created_at)
        if title != thread.title or body != thread.body:
            PostEdit.objects.create(
                thread=thread, editor=actor, title=thread.title, body=thread.body, html=thread.html
            )
            thread.title, thread.body, thread.html = title, body, render_markdown(body)
            thread.edited_at = timezone.now()
            thread.save(update_fields=["title", "body", "html", "edited_at"])
            _update_search_vector(Thread, thread.pk)
        if tags is not None:
            thread.tags.set([Tag.objects.get_or_create(name=n)[0] for n in clean_tags(tags)])
        changed: events.ChangedEvent = {"type": "changed", "post": "thread", "id": thread.pk}
        broadcast(events.thread_group(thread.pk), changed)
    return thread


def reply_edit(*, actor: User, reply_id: int, body: str) -> Reply:
    """Change a reply within the edit window; the previous version is kept."""
    body = _clean_body(body)
    with transaction.atomic():
        reply = selectors.access_reply(actor, reply_id)
        reply = Reply.objects.select_for_update().get(pk=reply.pk)
        _check_can_edit(actor, reply.author_id, reply.created_at)
        if body != reply.body:
            PostEdit.objects.create(reply=reply, editor=actor, body=reply.body, html=reply.html)
            reply.body, reply.html, reply.edited_at = body, render_markdown(body), timezone.now()
            reply.save(update_fields=["body", "html", "edited_at"])
            _update_search_vector(Reply, reply.pk)
            changed: events.ChangedEvent = {"type": "changed", "post": "reply", "id": reply.pk}
            broadcast(events.thread_group(reply.thread_id), changed)
    return reply


# --- votes and answers --------------------------------------------------------------------------


def vote_cast(
    *, actor: User, value: int, thread_id: int | None = None, reply_id: int | None = None
) -> int:
    """Set the actor's vote on a post to +1, -1 or 0 (withdraw); returns the post's new score.

    Exact under concurrency: the post's row is locked first, so the score recomputed from the
    vote table afterwards (a fresh statement, a fresh snapshot) sees every committed vote; the
    UNIQUE constraint keeps one vote per person and post. Votes on one's own post are refused.
    """
    if value not in (-1, 0, 1):
        raise Invalid("A vote is +1, -1 or 0.", code="invalid_vote", field="value")
    if (thread_id is None) == (reply_id is None):
        raise Invalid("Vote on a thread or a reply.", code="invalid_target")
    _limit("vote", actor, message="Too many votes. Wait a while.")
    model: type[Thread] | type[Reply]
    post: Thread | Reply
    target: dict[str, Any]
    if thread_id is not None:
        post = selectors.access_thread(actor, thread_id)
        model, target = Thread, {"thread_id": thread_id}
    else:
        post = selectors.access_reply(actor, reply_id or 0)
        model, target = Reply, {"reply_id": reply_id}
    if post.author_id == actor.pk:
        raise Forbidden("You cannot vote on your own post.", code="own_post")
    if post.status != Status.VISIBLE:
        raise Conflict("This post is hidden.", code="hidden")
    with transaction.atomic():
        model.objects.select_for_update().filter(pk=post.pk).values("pk").get()
        existing = Vote.objects.filter(user=actor, **target).first()
        if value == 0:
            if existing is not None:
                existing.delete()
        elif existing is None:
            Vote.objects.create(user=actor, value=value, **target)
        elif existing.value != value:
            existing.value = value
            existing.save(update_fields=["value"])
        if value == 1 and (existing is None or existing.value != 1):
            hooks.publish(UpvoteGiven(voter_id=actor.pk, **target))
        score = Vote.objects.filter(**target).aggregate(s=Coalesce(Sum("value"), 0))["s"]
        model.objects.filter(pk=post.pk).update(score=score)
        thread_pk = thread_id if thread_id is not None else post.thread_id  # type: ignore[union-attr]
        event: events.ScoreEvent = {
            "type": "score",
            "post": "thread" if thread_id is not None else "reply",
            "id": post.pk,
            "score": score,
        }
        broadcast(events.thread_group(thread_pk), event)
    return int(score)


def answer_accept(*, actor: User, thread_id: int, reply_id: int | None) -> Thread:
    """Mark one reply as the thread's accepted answer (``None`` clears it). Only the thread's
    author or a moderator; the reply must be a visible reply of this thread."""
    with transaction.atomic():
        thread = selectors.access_thread(actor, thread_id)
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.author_id != actor.pk and not actor.is_moderator:
            raise Forbidden("Only the thread's author can accept an answer.")
        reply = None
        if reply_id is not None:
            reply = Reply.objects.filter(pk=reply_id, thread=thread, status=Status.VISIBLE).first()
            if reply is None:
                raise Invalid("That is not a reply of this thread.", code="invalid_reply")
        thread.accepted_reply = reply
        thread.save(update_fields=["accepted_reply"])
        if reply is not None:
            hooks.publish(AnswerAccepted(reply_id=reply.pk))
        event: events.AcceptedEvent = {"type": "accepted", "thread": thread.pk, "reply": reply_id}
        broadcast(events.thread_group(thread.pk), event)
        if reply is not None and reply.author_id != actor.pk:
            notify(
                user=reply.author,
                kind=Notification.Kind.REPLY,
                title=f"Your answer to “{thread.title}” was accepted",
                body="",
                url=reply_url(reply),
            )
    return thread


# --- subscriptions and flags --------------------------------------------------------------------


def subscription_set(
    *, actor: User, on: bool, thread_id: int | None = None, category_slug: str | None = None
) -> bool:
    """Subscribe to (or leave) a thread or a category; returns the new state."""
    if thread_id is not None:
        target: dict[str, object] = {"thread": selectors.access_thread(actor, thread_id)}
    elif category_slug:
        target = {"category": selectors.access_category(actor, category_slug)}
    else:
        raise Invalid("Subscribe to a thread or a category.", code="invalid_target")
    if on:
        try:
            with transaction.atomic():
                Subscription.objects.get_or_create(user=actor, **target)  # type: ignore[arg-type]
        except IntegrityError:
            pass  # a concurrent request subscribed first
    else:
        Subscription.objects.filter(user=actor, **target).delete()
    return on


def flag_create(
    *, actor: User, reason: str, thread_id: int | None = None, reply_id: int | None = None
) -> Flag:
    """Report a post to the moderators (once per person and post)."""
    reason = _clean_reason(reason)
    _limit("flag", actor, message="You have flagged a lot today.")
    if thread_id is not None:
        target: dict[str, object] = {"thread": selectors.access_thread(actor, thread_id)}
    elif reply_id is not None:
        target = {"reply": selectors.access_reply(actor, reply_id)}
    else:
        raise Invalid("Flag a thread or a reply.", code="invalid_target")
    try:
        with transaction.atomic():
            return Flag.objects.create(reporter=actor, reason=reason, **target)
    except IntegrityError as exc:
        raise Conflict("You already flagged this post.", code="already_flagged") from exc


# --- moderation ---------------------------------------------------------------------------------

THREAD_ACTIONS = {"hide", "unhide", "delete", "lock", "unlock", "pin", "unpin", "move", "dismiss"}
REPLY_ACTIONS = {"hide", "unhide", "delete", "dismiss"}


def _set_status(post: Thread | Reply, status: str, actor: User, reason: str) -> None:
    post.status = status
    post.moderated_at = timezone.now()
    post.moderated_by = actor
    post.moderation_reason = "" if status == Status.VISIBLE else reason
    post.save(update_fields=["status", "moderated_at", "moderated_by", "moderation_reason"])


def thread_moderate(
    *, actor: User, thread_id: int, action: str, reason: str, category_slug: str = ""
) -> Thread:
    """Hide, show, remove, lock, unlock, pin, unpin or move a thread, or dismiss its flags;
    always with a reason, logged, open flags resolved; the author is told why."""
    require_moderator(actor, "Only moderators can do that.")
    if action not in THREAD_ACTIONS:
        raise Invalid("Unknown action.", code="invalid_action", field="action")
    reason = _clean_reason(reason)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(
            pk=selectors.access_thread(actor, thread_id).pk
        )
        if action in {"hide", "delete"}:
            _set_status(
                thread, Status.HIDDEN if action == "hide" else Status.DELETED, actor, reason
            )
        elif action == "unhide":
            _set_status(thread, Status.VISIBLE, actor, reason)
        elif action in {"lock", "unlock"}:
            thread.locked = action == "lock"
            thread.save(update_fields=["locked"])
        elif action in {"pin", "unpin"}:
            thread.pinned = action == "pin"
            thread.save(update_fields=["pinned"])
        elif action == "move":
            target = selectors.access_category(actor, category_slug)
            thread.category = target
            thread.save(update_fields=["category"])
        ModerationAction.objects.create(
            moderator=actor, action=action, thread=thread, reason=reason
        )
        audit_record(actor=actor, action=f"forum.thread_{action}", target=thread, reason=reason)
        Flag.objects.filter(thread=thread, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
        if action != "dismiss" and thread.author_id != actor.pk:
            label = ModerationAction.Action(action).label.lower()
            notify(
                user=thread.author,
                kind=Notification.Kind.MODERATION,
                title=f"A moderator {label} your thread “{thread.title}”",
                body=f"Reason: {reason}",
                url=thread_url(thread),
            )
        changed: events.ChangedEvent = {"type": "changed", "post": "thread", "id": thread.pk}
        broadcast(events.thread_group(thread.pk), changed)
    return thread


def reply_moderate(*, actor: User, reply_id: int, action: str, reason: str) -> Reply:
    """Hide, show or remove a reply, or dismiss its flags; with a reason the author sees."""
    require_moderator(actor, "Only moderators can do that.")
    if action not in REPLY_ACTIONS:
        raise Invalid("Unknown action.", code="invalid_action", field="action")
    reason = _clean_reason(reason)
    with transaction.atomic():
        reply = Reply.objects.select_for_update().get(pk=selectors.access_reply(actor, reply_id).pk)
        if action == "hide":
            _set_status(reply, Status.HIDDEN, actor, reason)
        elif action == "delete":
            _set_status(reply, Status.DELETED, actor, reason)
        elif action == "unhide":
            _set_status(reply, Status.VISIBLE, actor, reason)
        if action != "dismiss":
            Thread.objects.filter(pk=reply.thread_id).update(
                reply_count=Reply.objects.filter(
                    thread_id=reply.thread_id, status=Status.VISIBLE
                ).count()
            )
            if action != "unhide":
                Thread.objects.filter(pk=reply.thread_id, accepted_reply=reply).update(
                    accepted_reply=None
                )
        ModerationAction.objects.create(moderator=actor, action=action, reply=reply, reason=reason)
        audit_record(actor=actor, action=f"forum.reply_{action}", target=reply, reason=reason)
        Flag.objects.filter(reply=reply, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
        if action != "dismiss" and reply.author_id != actor.pk:
            label = ModerationAction.Action(action).label.lower()
            notify(
                user=reply.author,
                kind=Notification.Kind.MODERATION,
                title=f"A moderator {label} your reply in “{reply.thread.title}”",
                body=f"Reason: {reason}",
                url=reply_url(reply),
            )
        changed: events.ChangedEvent = {"type": "changed", "post": "reply", "id": reply.pk}
        broadcast(events.thread_group(reply.thread_id), changed)
    return reply


def category_ensure(
    *,
    slug: str,
    name: str,
    kind: str,
    description: str = "",
    subject_id: int | None = None,
    institution_id: int | None = None,
    members_only: bool = False,
    position: int = 100,
) -> tuple[Category, bool]:
    """Create a category if its slug is free (used by ``seed_forum``); never overwrites."""
    return Category.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "description": description,
            "subject_id": subject_id,
            "institution_id": institution_id,
            "members_only": members_only,
            "position": position,
        },
    )


def course_category_ensure(
    *, slug: str, name: str, institution_id: int, description: str = ""
) -> Category:
    """The discussion category of a course (an LMS context): members-only, seen by its roster
    (``category_roster_set``) and moderators. Created once per slug; the name follows the
    course's title."""
    category, created = Category.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name[:120],
            "kind": Category.Kind.COURSE,
            "description": description[:300],
            "institution_id": institution_id,
            "members_only": True,
            "roster_only": True,
        },
    )
    if not created and category.name != name[:120]:
        category.name = name[:120]
        category.save(update_fields=["name"])
    return category


@transaction.atomic
def category_roster_set(*, category_id: int, user_ids: Iterable[int]) -> tuple[int, int]:
    """Make the roster of a roster-only category exactly ``user_ids``: adds the missing, removes
    the others. Idempotent. Returns (added, removed)."""
    wanted = set(user_ids)
    Category.objects.select_for_update().get(pk=category_id, roster_only=True)
    present = set(
        CategoryMember.objects.filter(category_id=category_id).values_list("user_id", flat=True)
    )
    removed, _ = (
        CategoryMember.objects.filter(category_id=category_id).exclude(user_id__in=wanted).delete()
    )
    CategoryMember.objects.bulk_create(
        [CategoryMember(category_id=category_id, user_id=uid) for uid in wanted - present],
        ignore_conflicts=True,
    )
    return len(wanted - present), removed


def category_member_add(*, category_id: int, user_id: int) -> None:
    """Put one person on a roster-only category (their launch from the course). Idempotent."""
    CategoryMember.objects.get_or_create(category_id=category_id, user_id=user_id)
