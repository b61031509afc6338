"""Report fixtures shared by the report, PDF, sheet and export tests: a finalised baseline and
a finalised review of it, in `community`."""

import pytest

from assessments.models import Assessment
from tests.assessments.test_reports_data import REVIEW_LEVELS, make_round


@pytest.fixture
def baseline(community):  # type: ignore[no-untyped-def]
    return make_round(community)


@pytest.fixture
def review(community, baseline):  # type: ignore[no-untyped-def]
    return make_round(
        community,
        title="2024 review",
        kind=Assessment.Kind.REVIEW,
        levels=REVIEW_LEVELS,
        previous=baseline,
    )
