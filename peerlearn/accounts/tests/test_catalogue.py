from __future__ import annotations

import pytest
from django.db.models import Count

from peerlearn.accounts import selectors
from peerlearn.accounts.catalogue import (
    LoadResult,
    catalogue_tree,
    institution_seeds,
    load_catalogue,
    subject_slug,
)
from peerlearn.accounts.models import Institution, InstitutionDomain, Subject

AREAS = {
    "Computing",
    "Mathematics",
    "Natural sciences",
    "Engineering",
    "Languages",
    "Humanities and social sciences",
}

pytestmark = pytest.mark.django_db


def test_the_migration_loads_six_areas_with_their_subjects_and_topics() -> None:
    kinds = dict(Subject.objects.values_list("kind").annotate(n=Count("id")))
    assert (
        set(Subject.objects.filter(kind=Subject.Kind.AREA).values_list("name", flat=True)) == AREAS
    )
    assert kinds[Subject.Kind.SUBJECT] >= 40
    assert kinds[Subject.Kind.TOPIC] >= 170


def test_every_area_has_a_broad_set_of_topics() -> None:
    topics_per_area = dict(
        Subject.objects.filter(kind=Subject.Kind.TOPIC)
        .values_list("parent__parent__name")
        .annotate(n=Count("id"))
    )
    assert set(topics_per_area) == AREAS
    assert min(topics_per_area.values()) >= 20


def test_topics_sit_under_subjects_and_subjects_under_areas() -> None:
    assert not Subject.objects.filter(kind=Subject.Kind.AREA, parent__isnull=False).exists()
    assert not (
        Subject.objects.filter(kind=Subject.Kind.SUBJECT)
        .exclude(parent__kind=Subject.Kind.AREA)
        .exists()
    )
    assert not (
        Subject.objects.filter(kind=Subject.Kind.TOPIC)
        .exclude(parent__kind=Subject.Kind.SUBJECT)
        .exists()
    )


def test_slugs_follow_the_path_of_names() -> None:
    graphs = Subject.objects.get(slug=subject_slug("Computing", "Algorithms", "Graphs"))
    assert graphs.slug == "computing-algorithms-graphs"
    assert graphs.parent is not None
    assert graphs.parent.name == "Algorithms"


def test_names_and_descriptions_fit_their_columns() -> None:
    for area in catalogue_tree():
        for subject in area.get("children", []):
            assert len(subject.get("description", "")) <= 300
            for topic in subject.get("children", []):
                assert len(topic["name"]) <= 120
                assert "children" not in topic


def test_loading_again_creates_nothing() -> None:
    before = Subject.objects.count()

    assert load_catalogue() == LoadResult(0, 0, 0)
    assert Subject.objects.count() == before


def test_loading_again_restores_an_edited_node() -> None:
    algorithms = Subject.objects.get(slug=subject_slug("Computing", "Algorithms"))
    expected = algorithms.description
    Subject.objects.filter(pk=algorithms.pk).update(description="edited by hand")

    load_catalogue()

    algorithms.refresh_from_db()
    assert algorithms.description == expected


def test_every_institution_has_a_domain_and_a_place() -> None:
    seeds = institution_seeds()
    assert Institution.objects.count() == len(seeds) >= 12
    assert not Institution.objects.annotate(n=Count("domains")).filter(n=0).exists()
    for seed in seeds:
        assert -90 <= seed["latitude"] <= 90
        assert -180 <= seed["longitude"] <= 180
        assert seed["timezone"]


def test_an_address_on_a_student_subdomain_finds_its_institution() -> None:
    institution = selectors.institution_for_email("someone@student.ethz.ch")

    assert institution is not None
    assert institution.slug == "eth-zurich"
    assert InstitutionDomain.objects.get(domain="student.ethz.ch").institution == institution
