from __future__ import annotations

from peerlearn.accounts.models import Institution, User
from peerlearn.common.testing import make_user
from peerlearn.forum import services
from peerlearn.forum.models import Category, Thread

_n = iter(range(1, 10**6))


def make_category(**kwargs: object) -> Category:
    n = next(_n)
    defaults: dict[str, object] = {"slug": f"cat-{n}", "name": f"Category {n}", "kind": "general"}
    defaults.update(kwargs)
    return Category.objects.create(**defaults)


def make_private(institution: Institution | None = None) -> Category:
    n = next(_n)
    inst = institution or Institution.objects.create(name=f"Uni {n}", slug=f"uni-{n}")
    return make_category(kind="institution", institution=inst, members_only=True)


def make_thread(
    author: User | None = None,
    category: Category | None = None,
    title: str = "How to recurse?",
    body: str = "A question about `code`.",
    tags: str = "",
) -> Thread:
    author = author or make_user()
    category = category or make_category()
    return services.thread_create(
        actor=author, category_slug=category.slug, title=title, body=body, tags=tags
    )
