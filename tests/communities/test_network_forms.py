"""Adding, editing, deleting and deactivating organisations and stakeholders."""

from __future__ import annotations

from django.urls import reverse

from communities.models import Organisation, Stakeholder
from tests.factories import ParticipantFactory, StakeholderFactory


def _url(name, community, obj=None) -> str:
    kwargs = {"slug": community.slug}
    if obj is not None:
        kwargs["code"] = obj.code
    return reverse(f"communities:{name}", kwargs=kwargs)


def test_add_stakeholder(facilitator, community, organisation):
    response = facilitator.post(
        _url("stakeholder_create", community),
        {
            "name": "Dee",
            "email": "dee@example.org",
            "organisation": organisation.pk,
            "sector": "",
            "role": "Tenant",
        },
    )
    assert response.status_code == 302
    dee = Stakeholder.objects.get(name="Dee")
    assert dee.community == community
    assert dee.sector == "housing"  # taken from the organisation


def test_invalid_email_is_refused_and_typed_text_kept(facilitator, community):
    response = facilitator.post(
        _url("stakeholder_create", community),
        {"name": "Eve Typed", "email": "not-an-email", "sector": "health", "role": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address" in html
    assert "Eve Typed" in html
    assert not Stakeholder.objects.filter(name="Eve Typed").exists()


def test_blank_name_is_refused(facilitator, community):
    response = facilitator.post(
        _url("stakeholder_create", community), {"name": " ", "sector": "health"}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_unknown_sector_is_refused(facilitator, community):
    response = facilitator.post(
        _url("stakeholder_create", community), {"name": "Fay", "sector": "astrology"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_no_sector_and_no_organisation_is_refused(facilitator, community):
    response = facilitator.post(
        _url("stakeholder_create", community), {"name": "Gus", "sector": ""}
    )
    assert response.status_code == 400
    assert "Choose a sector" in response.content.decode()


def test_email_already_used_in_the_community_is_refused_case_insensitively(
    facilitator, community, stakeholder
):
    response = facilitator.post(
        _url("stakeholder_create", community),
        {"name": "Twin", "email": "ASHA@example.org", "sector": "vcs"},
    )
    assert response.status_code == 400
    assert "Asha Patel in this community already has this email" in response.content.decode()


def test_organisation_from_another_community_cannot_be_chosen(
    facilitator, community, other_community
):
    from tests.factories import OrganisationFactory

    foreign = OrganisationFactory(community=other_community)
    response = facilitator.post(
        _url("stakeholder_create", community),
        {"name": "Hal", "organisation": foreign.pk, "sector": "vcs"},
    )
    assert response.status_code == 400


def test_edit_stakeholder_and_reactivate(facilitator, community, stakeholder):
    stakeholder.is_active = False
    stakeholder.save()
    response = facilitator.post(
        _url("stakeholder_edit", community, stakeholder),
        {
            "name": "Asha P.",
            "email": "asha@example.org",
            "sector": "health",
            "role": "GP",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    stakeholder.refresh_from_db()
    assert (stakeholder.name, stakeholder.sector, stakeholder.is_active) == (
        "Asha P.",
        "health",
        True,
    )


def test_stakeholder_who_never_took_part_is_deleted_after_confirmation(
    facilitator, community, stakeholder
):
    page = facilitator.get(_url("stakeholder_delete", community, stakeholder))
    assert "deleted for good" in page.content.decode()
    assert Stakeholder.objects.filter(pk=stakeholder.pk).exists()  # GET changes nothing
    response = facilitator.post(_url("stakeholder_delete", community, stakeholder))
    assert response.status_code == 302
    assert not Stakeholder.objects.filter(pk=stakeholder.pk).exists()


def test_stakeholder_who_took_part_is_deactivated_not_deleted(facilitator, community, participant):
    person = participant.stakeholder
    page = facilitator.get(_url("stakeholder_delete", community, person))
    assert "cannot be deleted" in page.content.decode()
    facilitator.post(_url("stakeholder_delete", community, person))
    person.refresh_from_db()
    assert person.is_active is False


def test_add_and_edit_organisation(facilitator, community):
    response = facilitator.post(
        _url("organisation_create", community), {"name": "Food Bank", "sector": "small-charity"}
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="Food Bank")
    response = facilitator.post(
        _url("organisation_edit", community, org),
        {"name": "Halton Food Bank", "sector": "small-charity", "is_active": "on"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Halton Food Bank"


def test_organisation_name_must_be_unique_case_insensitively(facilitator, community, organisation):
    response = facilitator.post(
        _url("organisation_create", community), {"name": "halton HOUSING", "sector": "housing"}
    )
    assert response.status_code == 400
    assert "already has an organisation" in response.content.decode()


def test_organisation_unknown_sector_and_blank_name(facilitator, community):
    response = facilitator.post(
        _url("organisation_create", community), {"name": "", "sector": "nope"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required" in html
    assert "Select a valid choice" in html


def test_organisation_that_never_took_part_is_deleted_and_its_people_stay(
    facilitator, community, stakeholder
):
    org = stakeholder.organisation
    page = facilitator.get(_url("organisation_delete", community, org))
    assert "stay in the network" in page.content.decode()
    facilitator.post(_url("organisation_delete", community, org))
    assert not Organisation.objects.filter(pk=org.pk).exists()
    stakeholder.refresh_from_db()
    assert stakeholder.organisation is None


def test_organisation_whose_people_took_part_is_deactivated(
    facilitator, community, assessment, organisation
):
    person = StakeholderFactory(community=community, organisation=organisation)
    ParticipantFactory(assessment=assessment, stakeholder=person)
    facilitator.post(_url("organisation_delete", community, organisation))
    organisation.refresh_from_db()
    assert organisation.is_active is False
