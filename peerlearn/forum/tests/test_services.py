from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerlearn.common.errors import Conflict, Forbidden, NotFound, ServiceError
from peerlearn.common.ratelimit import RateLimited
from peerlearn.common.testing import make_moderator, make_user
from peerlearn.forum import selectors, services
from peerlearn.forum.models import PostEdit, Reply, Status, Thread, Vote
from peerlearn.notifications.models import Notification

from .factories import make_category, make_private, make_thread

pytestmark = pytest.mark.django_db


def test_a_thread_renders_markdown_with_code_and_keeps_tags() -> None:
    thread = make_thread(
        body="```python\nprint('hi')\n```\n<script>x</script>", tags="Python, recursion"
    )
    assert "hl-" in thread.html and "<script>" not in thread.html
    assert sorted(t.name for t in thread.tags.all()) == ["python", "recursion"]


def test_members_only_categories_are_invisible_to_non_members() -> None:
    private = make_private()
    member = make_user(institution=private.institution)
    outsider = make_user()
    thread = make_thread(member, private)
    assert selectors.access_thread(member, thread.pk) == thread
    with pytest.raises(NotFound):
        selectors.access_thread(outsider, thread.pk)
    with pytest.raises(NotFound):
        services.reply_create(actor=outsider, thread_id=thread.pk, body="hello")
    with pytest.raises(NotFound):
        services.thread_create(
            actor=outsider, category_slug=private.slug, title="Hello there", body="x"
        )
    assert private not in selectors.category_list(outsider)
    assert not selectors.thread_search(outsider, selectors.SearchFilters(q="recurse")).exists()
    assert selectors.thread_search(member, selectors.SearchFilters(q="recurse")).exists()


def test_edits_are_allowed_within_the_window_and_kept_in_history(settings) -> None:
    settings.FORUM_EDIT_WINDOW_MINUTES = 30
    thread = make_thread(title="First title")
    services.thread_edit(
        actor=thread.author, thread_id=thread.pk, title="Second title", body="New body"
    )
    edit = PostEdit.objects.get(thread=thread)
    assert (edit.title, edit.body) == ("First title", "A question about `code`.")
    thread.refresh_from_db()
    assert thread.edited_at is not None and thread.title == "Second title"
    Thread.objects.filter(pk=thread.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    with pytest.raises(Conflict) as exc:
        services.thread_edit(
            actor=thread.author, thread_id=thread.pk, title="Third title", body="x"
        )
    assert exc.value.code == "edit_window_closed"
    services.thread_edit(actor=make_moderator(), thread_id=thread.pk, title="Mod title", body="x")
    with pytest.raises(Forbidden):
        reply = services.reply_create(actor=make_user(), thread_id=thread.pk, body="a reply")
        services.reply_edit(actor=make_user(), reply_id=reply.pk, body="not mine")
    assert selectors.edit_history(thread=thread).count() == 2


def test_votes_are_one_per_person_and_never_on_ones_own_post() -> None:
    thread = make_thread()
    a, b = make_user(), make_user()
    assert services.vote_cast(actor=a, value=1, thread_id=thread.pk) == 1
    assert services.vote_cast(actor=a, value=1, thread_id=thread.pk) == 1
    assert services.vote_cast(actor=b, value=-1, thread_id=thread.pk) == 0
    assert services.vote_cast(actor=a, value=-1, thread_id=thread.pk) == -2
    assert services.vote_cast(actor=a, value=0, thread_id=thread.pk) == -1
    assert Vote.objects.filter(thread=thread).count() == 1
    with pytest.raises(Forbidden):
        services.vote_cast(actor=thread.author, value=1, thread_id=thread.pk)
    with pytest.raises(ServiceError):
        services.vote_cast(actor=a, value=5, thread_id=thread.pk)


def test_only_the_author_or_a_moderator_accepts_and_only_a_reply_of_the_thread() -> None:
    thread = make_thread()
    other = make_thread()
    helper = make_user()
    reply = services.reply_create(actor=helper, thread_id=thread.pk, body="Use a base case.")
    foreign = services.reply_create(actor=helper, thread_id=other.pk, body="Elsewhere")
    with pytest.raises(Forbidden):
        services.answer_accept(actor=helper, thread_id=thread.pk, reply_id=reply.pk)
    with pytest.raises(ServiceError):
        services.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=foreign.pk)
    services.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=reply.pk)
    thread.refresh_from_db()
    assert thread.accepted_reply_id == reply.pk
    assert Notification.objects.filter(user=helper, title__contains="accepted").exists()
    services.answer_accept(actor=make_moderator(), thread_id=thread.pk, reply_id=None)
    thread.refresh_from_db()
    assert thread.accepted_reply_id is None


def test_subscribers_hear_of_replies_and_mentions() -> None:
    category = make_category()
    watcher = make_user(display_name="Watcher")
    services.subscription_set(actor=watcher, on=True, category_slug=category.slug)
    thread = make_thread(category=category)
    assert Notification.objects.filter(user=watcher, title__startswith="New thread").exists()
    mentioned = make_user(display_name="Mina")
    replier = make_user()
    services.reply_create(actor=replier, thread_id=thread.pk, body="Hi @Mina, see this")
    assert Notification.objects.filter(user=thread.author, kind="reply").count() == 1
    assert Notification.objects.filter(user=watcher, kind="reply").count() == 2
    assert Notification.objects.filter(user=mentioned, kind="mention").count() == 1
    assert not Notification.objects.filter(user=replier).exists()
    services.subscription_set(actor=thread.author, on=False, thread_id=thread.pk)
    services.reply_create(actor=replier, thread_id=thread.pk, body="again")
    assert Notification.objects.filter(user=thread.author, kind="reply").count() == 1


def test_the_flag_queue_lists_only_posts_with_open_flags() -> None:
    flagged, unflagged, resolved = make_thread(), make_thread(), make_thread()
    services.reply_create(actor=make_user(), thread_id=unflagged.pk, body="no flags here")
    reader, mod = make_user(), make_moderator()
    services.flag_create(actor=reader, reason="spam", thread_id=flagged.pk)
    services.flag_create(actor=reader, reason="spam", thread_id=resolved.pk)
    services.thread_moderate(actor=mod, thread_id=resolved.pk, action="hide", reason="Spam")

    queue = selectors.flag_queue()

    assert queue["threads"] == [flagged]
    assert queue["threads"][0].open_flags == 1
    assert queue["replies"] == []


def test_moderation_hides_with_a_reason_the_author_sees() -> None:
    thread = make_thread()
    reader, mod = make_user(), make_moderator()
    services.flag_create(actor=reader, reason="spam", thread_id=thread.pk)
    with pytest.raises(Conflict):
        services.flag_create(actor=reader, reason="spam again", thread_id=thread.pk)
    assert selectors.flag_queue()["threads"] == [thread]
    with pytest.raises(Forbidden):
        services.thread_moderate(actor=reader, thread_id=thread.pk, action="hide", reason="x")
    services.thread_moderate(actor=mod, thread_id=thread.pk, action="hide", reason="Advertising")
    with pytest.raises(NotFound):
        selectors.access_thread(reader, thread.pk)
    seen = selectors.access_thread(thread.author, thread.pk)
    assert seen.status == Status.HIDDEN and seen.moderation_reason == "Advertising"
    note = Notification.objects.get(user=thread.author)
    assert "Advertising" in note.body
    assert selectors.flag_queue()["threads"] == []


def test_lock_pin_move_and_reply_removal() -> None:
    thread = make_thread()
    mod, helper = make_moderator(), make_user()
    reply = services.reply_create(actor=helper, thread_id=thread.pk, body="answer")
    services.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=reply.pk)
    services.thread_moderate(actor=mod, thread_id=thread.pk, action="lock", reason="Solved")
    with pytest.raises(Conflict):
        services.reply_create(actor=helper, thread_id=thread.pk, body="more")
    services.thread_moderate(actor=mod, thread_id=thread.pk, action="pin", reason="Useful")
    target = make_category()
    services.thread_moderate(
        actor=mod,
        thread_id=thread.pk,
        action="move",
        reason="Better fit",
        category_slug=target.slug,
    )
    services.reply_moderate(actor=mod, reply_id=reply.pk, action="delete", reason="Full solution")
    thread.refresh_from_db()
    assert (thread.locked, thread.pinned, thread.category_id) == (True, True, target.pk)
    assert thread.accepted_reply_id is None and thread.reply_count == 0
    assert list(selectors.replies_of(make_user(), thread)) == []
    assert Reply.objects.get(pk=reply.pk).moderation_reason == "Full solution"
    assert Notification.objects.filter(user=helper, body__contains="Full solution").exists()


def test_posting_replying_voting_and_flagging_are_rate_limited(settings) -> None:
    settings.FORUM_THREAD_LIMIT = 2
    settings.FORUM_REPLY_LIMIT = 2
    settings.FORUM_VOTE_LIMIT = 1
    settings.FORUM_FLAG_LIMIT = 1
    user = make_user()
    category = make_category()
    make_thread(user, category)
    thread = make_thread(user, category)
    with pytest.raises(RateLimited):
        make_thread(user, category)
    other = make_user()
    services.reply_create(actor=other, thread_id=thread.pk, body="1")
    services.reply_create(actor=other, thread_id=thread.pk, body="2")
    with pytest.raises(RateLimited):
        services.reply_create(actor=other, thread_id=thread.pk, body="3")
    services.vote_cast(actor=other, value=1, thread_id=thread.pk)
    with pytest.raises(RateLimited):
        services.vote_cast(actor=other, value=0, thread_id=thread.pk)
    services.flag_create(actor=other, reason="x", thread_id=thread.pk)
    with pytest.raises(RateLimited):
        services.flag_create(actor=other, reason="y", thread_id=make_thread().pk)


def test_search_ranks_title_matches_first_and_filters() -> None:
    category = make_category()
    alice = make_user(display_name="Alice")
    body_hit = make_thread(
        alice, category, title="Something else entirely", body="graphs and dijkstra here"
    )
    title_hit = make_thread(
        make_user(),
        category,
        title="Dijkstra shortest paths",
        body="dijkstra question",
        tags="graphs",
    )
    reply_only = make_thread(
        make_user(), make_category(), title="Unrelated question", body="nothing"
    )
    services.reply_create(actor=alice, thread_id=reply_only.pk, body="use dijkstra with a heap")
    make_thread(title="Sorting lists", body="quicksort")
    found = list(selectors.thread_search(alice, selectors.SearchFilters(q="dijkstra")))
    assert found[0] == title_hit
    assert set(found) == {title_hit, body_hit, reply_only}
    by_tag = selectors.thread_search(alice, selectors.SearchFilters(tag="graphs"))
    assert list(by_tag) == [title_hit]
    by_cat = selectors.thread_search(
        alice, selectors.SearchFilters(q="dijkstra", category=category.slug)
    )
    assert set(by_cat) == {title_hit, body_hit}
    by_author = selectors.thread_search(
        alice, selectors.SearchFilters(q="dijkstra", author="alice")
    )
    assert list(by_author) == [body_hit]
    assert not selectors.thread_search(alice, selectors.SearchFilters(q="zebra")).exists()


def test_thread_lists_sort_by_activity_votes_and_unanswered() -> None:
    category = make_category()
    old, new = make_thread(category=category), make_thread(category=category)
    services.vote_cast(actor=make_user(), value=1, thread_id=old.pk)
    services.reply_create(actor=make_user(), thread_id=new.pk, body="reply")
    user = make_user()
    assert next(iter(selectors.thread_list(user, category=category, sort="votes"))) == old
    assert next(iter(selectors.thread_list(user, category=category, sort="activity"))) == new
    assert list(selectors.thread_list(user, category=category, sort="unanswered")) == [old]
