"""Discussion pages. Adapters only: parse, call a selector or a service, render. Anything a
person may not see is a 404, the same as nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from peerlearn.accounts.requests import AuthedRequest
from peerlearn.accounts.roles import require_moderator
from peerlearn.common.errors import REFUSALS, ServiceError
from peerlearn.common.web import form_error, is_htmx, paginate

from . import selectors, services
from .forms import ReasonForm, ReplyForm, ThreadForm
from .models import Category, Reply, Thread

REPLIES_PER_PAGE = 30
THREADS_PER_PAGE = 25


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _done(request: HttpRequest, url: str, payload: dict[str, Any]) -> HttpResponse:
    return JsonResponse(payload) if _wants_json(request) else redirect(url)


def _refused(request: HttpRequest, url: str, exc: ServiceError) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status=exc.status
        )
    messages.error(request, exc.message)
    return redirect(url)


def index(request: HttpRequest) -> HttpResponse:
    categories = selectors.category_list(request.user)
    groups: dict[str, list[Category]] = {}
    for category in categories:
        groups.setdefault(category.get_kind_display(), []).append(category)
    recent = selectors.thread_list(request.user, sort="activity")[:8]
    return render(
        request,
        "forum/index.html",
        {
            "groups": groups,
            "recent": recent,
            "open_flags": selectors.open_flag_count()
            if getattr(request.user, "is_moderator", False)
            else 0,
        },
    )


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "activity")
    return sort if sort in selectors.SORTS else "activity"


def category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = selectors.access_category(request.user, slug)
    sort = _sort(request)
    tag = request.GET.get("tag", "").strip().lower()
    page = paginate(
        request,
        selectors.thread_list(request.user, category=cat, sort=sort, tag=tag),
        per_page=THREADS_PER_PAGE,
    )
    extra = f"sort={sort}" + (f"&tag={tag}" if tag else "")
    return render(
        request,
        "forum/category.html",
        {
            "category": cat,
            "page": page,
            "sort": sort,
            "tag": tag,
            "sorts": [
                ("activity", "Active"),
                ("votes", "Top"),
                ("unanswered", "Unanswered"),
                ("new", "New"),
            ],
            "extra_query": extra,
            "subscribed": selectors.is_subscribed(request.user, category=cat),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    categories = list(selectors.visible_categories(user))
    chosen = request.POST.get("category") or request.GET.get("category", "")
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_create(
                actor=user,
                category_slug=chosen,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                tags=form.cleaned_data["tags"],
            )
        except ServiceError as exc:
            if exc.code == "not_found":
                form.add_error(None, "Choose a category.")
            else:
                form_error(form, exc)
        else:
            return redirect(services.thread_url(thread))
    return render(
        request,
        "forum/thread_form.html",
        {"form": form, "categories": categories, "chosen": chosen, "editing": None},
    )


def _thread_context(request: HttpRequest, thread: Thread) -> dict[str, Any]:
    replies_qs = selectors.replies_of(request.user, thread)
    page_number: Any = request.GET.get("page")
    wanted = request.GET.get("reply", "")
    paginator = Paginator(replies_qs, REPLIES_PER_PAGE)
    if wanted.isdigit() and page_number is None:
        before = replies_qs.filter(pk__lt=int(wanted)).count()
        page_number = before // REPLIES_PER_PAGE + 1
    page = paginator.get_page(page_number)
    replies = list(page.object_list)
    user = request.user
    quote = ""
    quoted = request.GET.get("quote", "")
    if quoted.isdigit():
        source = next((r for r in replies if r.pk == int(quoted)), None)
        if source is not None:
            quote = quote_markdown(source.author.display_name, source.body)
    return {
        "thread": thread,
        "page": page,
        "replies": replies,
        "votes": selectors.my_votes(user, thread=thread, replies=replies),
        "can_accept": user.is_authenticated
        and (thread.author_id == user.pk or getattr(user, "is_moderator", False)),
        "is_moderator": getattr(user, "is_moderator", False),
        "subscribed": selectors.is_subscribed(user, thread=thread),
        "reply_form": ReplyForm(initial={"body": quote} if quote else None),
        "edit_deadline_minutes": int(services.edit_window().total_seconds() // 60),
        "categories": list(selectors.visible_categories(user))
        if getattr(user, "is_moderator", False)
        else [],
    }


def quote_markdown(name: str, body: str) -> str:
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.strip().splitlines())
    return f"> **{name}** wrote:\n>\n{quoted}\n\n"


def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    t = selectors.access_thread(request.user, thread_id)
    return render(request, "forum/thread.html", _thread_context(request, t))


@login_required
@require_POST
def reply(request: AuthedRequest, thread_id: int) -> HttpResponse:
    user = request.user
    t = selectors.access_thread(user, thread_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            r = services.reply_create(actor=user, thread_id=t.pk, body=form.cleaned_data["body"])
        except ServiceError as exc:
            form_error(form, exc)
        else:
            return redirect(services.reply_url(r))
    context = _thread_context(request, t)
    context["reply_form"] = form
    return render(request, "forum/thread.html", context, status=400)


def _post_edit(
    request: AuthedRequest, *, thread: Thread | None, reply: Reply | None
) -> HttpResponse:
    user = request.user
    target = thread or reply
    assert target is not None
    back = services.thread_url(thread) if thread else services.reply_url(reply)  # type: ignore[arg-type]
    if thread is not None:
        initial = {
            "title": thread.title,
            "body": thread.body,
            "tags": " ".join(t.name for t in thread.tags.all()),
        }
        form: ThreadForm | ReplyForm = ThreadForm(request.POST or None, initial=initial)
    else:
        form = ReplyForm(request.POST or None, initial={"body": target.body})
    if request.method == "POST" and form.is_valid():
        try:
            if thread is not None:
                services.thread_edit(
                    actor=user,
                    thread_id=thread.pk,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    tags=form.cleaned_data["tags"],
                )
            else:
                services.reply_edit(actor=user, reply_id=target.pk, body=form.cleaned_data["body"])
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Saved. The previous version is in the edit history.")
            return redirect(back)
    return render(
        request,
        "forum/thread_form.html",
        {
            "form": form,
            "editing": target,
            "is_thread": thread is not None,
            "back": back,
            "edit_deadline_minutes": int(services.edit_window().total_seconds() // 60),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_edit(request: AuthedRequest, thread_id: int) -> HttpResponse:
    return _post_edit(request, thread=selectors.access_thread(request.user, thread_id), reply=None)


@login_required
@require_http_methods(["GET", "POST"])
def reply_edit(request: AuthedRequest, reply_id: int) -> HttpResponse:
    return _post_edit(request, thread=None, reply=selectors.access_reply(request.user, reply_id))


def history(request: HttpRequest, kind: str, post_id: int) -> HttpResponse:
    if kind == "thread":
        t = selectors.access_thread(request.user, post_id)
        post: Thread | Reply = t
        edits = selectors.edit_history(thread=t)
    else:
        post = selectors.access_reply(request.user, post_id)
        t = post.thread
        edits = selectors.edit_history(reply=post)
    return render(
        request, "forum/history.html", {"post": post, "thread": t, "edits": edits, "kind": kind}
    )


@login_required
@require_POST
def vote(request: AuthedRequest, kind: str, post_id: int) -> HttpResponse:
    user = request.user
    try:
        value = int(request.POST.get("value", "0"))
    except ValueError:
        value = 0
    target = {"thread_id": post_id} if kind == "thread" else {"reply_id": post_id}
    back = request.POST.get("next") or reverse("forum:index")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("forum:index")
    try:
        score = services.vote_cast(actor=user, value=value, **target)
    except REFUSALS as exc:
        return _refused(request, back, exc)
    return _done(request, back, {"score": score, "value": value})


@login_required
@require_POST
def accept(request: AuthedRequest, thread_id: int) -> HttpResponse:
    user = request.user
    raw = request.POST.get("reply", "")
    reply_id = int(raw) if raw.isdigit() else None
    url = services.thread_url(selectors.access_thread(user, thread_id))
    try:
        services.answer_accept(actor=user, thread_id=thread_id, reply_id=reply_id)
    except ServiceError as exc:
        return _refused(request, url, exc)
    return _done(
        request,
        url + (f"?reply={reply_id}#reply-{reply_id}" if reply_id else ""),
        {"reply": reply_id},
    )


@login_required
@require_POST
def subscribe(request: AuthedRequest, kind: str, key: str) -> HttpResponse:
    user = request.user
    on = request.POST.get("on", "1") == "1"
    if kind == "thread":
        services.subscription_set(actor=user, on=on, thread_id=int(key))
        url = reverse("forum:thread", args=[int(key)])
    else:
        services.subscription_set(actor=user, on=on, category_slug=key)
        url = reverse("forum:category", args=[key])
    messages.success(
        request, "Subscribed: you will hear of new replies." if on else "Unsubscribed."
    )
    return _done(request, url, {"subscribed": on})


@login_required
@require_http_methods(["GET", "POST"])
def flag(request: AuthedRequest, kind: str, post_id: int) -> HttpResponse:
    user = request.user
    if kind == "thread":
        post: Thread | Reply = selectors.access_thread(user, post_id)
        back = services.thread_url(post)  # type: ignore[arg-type]
    else:
        post = selectors.access_reply(user, post_id)
        back = services.reply_url(post)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = {"thread_id": post_id} if kind == "thread" else {"reply_id": post_id}
        try:
            services.flag_create(actor=user, reason=form.cleaned_data["reason"], **target)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Thank you. A moderator will look at it.")
            return redirect(back)
    return render(
        request, "forum/flag.html", {"form": form, "post": post, "kind": kind, "back": back}
    )


@login_required
@require_POST
def preview(request: AuthedRequest) -> HttpResponse:
    return HttpResponse(services.preview(body=request.POST.get("body", "")))


def reply_fragment(request: HttpRequest, reply_id: int) -> HttpResponse:
    """One reply as the thread page shows it to this viewer (fetched by the live script)."""
    r = selectors.access_reply(request.user, reply_id)
    t = r.thread  # access_reply admits only replies of threads the viewer may read
    user = request.user
    return render(
        request,
        "forum/_reply.html",
        {
            "reply": r,
            "thread": t,
            "votes": selectors.my_votes(user, thread=t, replies=[r]),
            "can_accept": user.is_authenticated
            and (t.author_id == user.pk or getattr(user, "is_moderator", False)),
            "is_moderator": getattr(user, "is_moderator", False),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    filters = selectors.SearchFilters(
        q=request.GET.get("q", "").strip()[:200],
        tag=request.GET.get("tag", "").strip()[:40],
        category=request.GET.get("category", "").strip()[:140],
        author=request.GET.get("author", "").strip()[:80],
    )
    searched = any([filters.q, filters.tag, filters.category, filters.author])
    page = (
        paginate(request, selectors.thread_search(request.user, filters), per_page=THREADS_PER_PAGE)
        if searched
        else None
    )
    from urllib.parse import urlencode

    extra = urlencode({k: v for k, v in vars(filters).items() if v})
    template = "forum/_search_results.html" if is_htmx(request) else "forum/search.html"
    return render(
        request,
        template,
        {
            "filters": filters,
            "page": page,
            "extra_query": extra,
            "categories": list(selectors.visible_categories(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def moderation(request: AuthedRequest) -> HttpResponse:
    return render(request, "forum/moderation.html", selectors.flag_queue(actor=request.user))


@login_required
@require_POST
def moderate(request: AuthedRequest, kind: str, post_id: int) -> HttpResponse:
    user = request.user
    require_moderator(user, "Only moderators can do that.")  # before any flash message
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    back = request.POST.get("next") or reverse("forum:moderation")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("forum:moderation")
    try:
        if kind == "thread":
            services.thread_moderate(
                actor=user,
                thread_id=post_id,
                action=action,
                reason=reason,
                category_slug=request.POST.get("category", ""),
            )
        else:
            services.reply_moderate(actor=user, reply_id=post_id, action=action, reason=reason)
    except REFUSALS as exc:
        return _refused(request, back, exc)
    messages.success(request, "Done. The author sees your reason.")
    return redirect(back)
