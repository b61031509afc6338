"""Data for the communities workspace tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import OrganisationFactory, StakeholderFactory


@pytest.fixture
def organisation(community):  # type: ignore[no-untyped-def]
    return OrganisationFactory(community=community, name="Halton Housing", sector="housing")


@pytest.fixture
def stakeholder(community, organisation):  # type: ignore[no-untyped-def]
    return StakeholderFactory(
        community=community, organisation=organisation, name="Asha Patel", email="asha@example.org"
    )


@pytest.fixture
def csv_file() -> Callable[..., SimpleUploadedFile]:
    def make(content: str | bytes, name: str = "people.csv") -> SimpleUploadedFile:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return SimpleUploadedFile(name, data, content_type="text/csv")

    return make
