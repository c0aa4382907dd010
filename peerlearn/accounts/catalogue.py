"""The shared subject catalogue and the list of known institutions, kept in ``data/*.json``.

``load_catalogue`` upserts both by slug. It takes an app registry so the data migration can
pass its historical models: it must only touch fields that exist since ``0001_initial``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction
from django.utils.text import slugify

DATA_DIR = Path(__file__).resolve().parent / "data"
KIND_BY_DEPTH = ("area", "subject", "topic")


class CatalogueNode(TypedDict):
    name: str
    description: NotRequired[str]
    children: NotRequired[list[CatalogueNode]]


class InstitutionSeed(TypedDict):
    name: str
    slug: str
    country: str
    city: str
    website: str
    domains: list[str]
    latitude: float
    longitude: float
    timezone: str
    language: str  # ISO code of the language spoken around campus


@dataclass(frozen=True)
class LoadResult:
    subjects_created: int
    institutions_created: int
    domains_created: int


def subject_slug(*path: str) -> str:
    """The slug of the catalogue node at ``path``, e.g. ``("Computing", "Algorithms")``."""
    return slugify(" ".join(path))


def catalogue_tree() -> list[CatalogueNode]:
    tree: list[CatalogueNode] = json.loads((DATA_DIR / "catalogue.json").read_text("utf-8"))
    return tree


def institution_seeds() -> list[InstitutionSeed]:
    seeds: list[InstitutionSeed] = json.loads((DATA_DIR / "institutions.json").read_text("utf-8"))
    return seeds


def load_catalogue(apps: Apps = global_apps) -> LoadResult:
    """Insert missing subjects, institutions and domains and update changed ones. Rows that are
    no longer in the files are left alone: people may already be learning or teaching them."""
    with transaction.atomic():
        subjects = _load_subjects(apps.get_model("accounts", "Subject"))
        institutions, domains = _load_institutions(
            apps.get_model("accounts", "Institution"),
            apps.get_model("accounts", "InstitutionDomain"),
        )
    return LoadResult(subjects, institutions, domains)


def _walk(
    nodes: list[CatalogueNode], parent: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], CatalogueNode]]:
    """Every node with its path of names, parents before children."""
    for node in nodes:
        path = (*parent, node["name"])
        yield path, node
        yield from _walk(node.get("children", []), path)


def _load_subjects(subject_model: Any) -> int:
    existing = {row.slug: row for row in subject_model.objects.all()}
    ids: dict[str, int] = {}
    created = 0
    for path, node in _walk(catalogue_tree()):
        if len(path) > len(KIND_BY_DEPTH):
            raise ValueError(f"The catalogue is three levels deep at most: {' / '.join(path)}")
        slug = subject_slug(*path)
        if slug in ids:
            raise ValueError(f"Two catalogue nodes share the slug {slug!r}")
        fields = {
            "name": node["name"],
            "kind": KIND_BY_DEPTH[len(path) - 1],
            "parent_id": ids[subject_slug(*path[:-1])] if len(path) > 1 else None,
            "description": node.get("description", ""),
        }
        row = existing.get(slug)
        if row is None:
            row = subject_model.objects.create(slug=slug, **fields)
            created += 1
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(fields))
        ids[slug] = row.pk
    return created


def _load_institutions(institution_model: Any, domain_model: Any) -> tuple[int, int]:
    institutions = domains = 0
    for seed in institution_seeds():
        institution, was_created = institution_model.objects.update_or_create(
            slug=seed["slug"],
            defaults={
                "name": seed["name"],
                "country": seed["country"],
                "city": seed["city"],
                "website": seed["website"],
            },
        )
        institutions += was_created
        for domain in seed["domains"]:
            _, was_created = domain_model.objects.update_or_create(
                domain=domain.lower(), defaults={"institution": institution}
            )
            domains += was_created
    return institutions, domains
