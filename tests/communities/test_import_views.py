"""Upload → preview → confirm: the CSV import of stakeholders through the web pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Organisation, Stakeholder
from communities.views import IMPORT_SESSION_KEY
from tests.factories import StakeholderFactory

HEADER = "name,email,organisation,sector,role\n"


def _upload(client, community, csv_file, content, name="people.csv"):
    return client.post(
        reverse("communities:import", kwargs={"slug": community.slug}),
        {"file": csv_file(content, name)},
    )


def _confirm(client, community, import_id):
    return client.post(
        reverse("communities:import_confirm", kwargs={"slug": community.slug}),
        {"import_id": import_id},
    )


def test_preview_lists_every_row_and_writes_nothing(facilitator, community, csv_file):
    response = _upload(
        facilitator,
        community,
        csv_file,
        HEADER + "Ann,ann@example.org,Food Bank,small-charity,Volunteer\nBob,,Food Bank,,\n",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ann" in html and "Bob" in html
    assert "Every row can be imported" in html
    assert Stakeholder.objects.filter(community=community).count() == 0
    assert Organisation.objects.filter(community=community).count() == 0


def test_confirm_imports_from_the_session_without_reuploading(
    facilitator, community, csv_file, stakeholder
):
    response = _upload(
        facilitator,
        community,
        csv_file,
        HEADER + "Ann,ann@example.org,Food Bank,small-charity,Volunteer\n"
        "Asha Renamed,ASHA@EXAMPLE.ORG,halton housing,,Lead\n",
    )
    import_id = response.context["import_id"]
    assert import_id
    assert facilitator.session[IMPORT_SESSION_KEY]["id"] == import_id
    response = _confirm(facilitator, community, import_id)
    assert response.status_code == 302
    assert (
        Stakeholder.objects.filter(community=community).count() == 2
    )  # Asha updated, not duplicated
    stakeholder.refresh_from_db()
    assert (stakeholder.name, stakeholder.role, stakeholder.email) == (
        "Asha Renamed",
        "Lead",
        "asha@example.org",
    )
    ann = Stakeholder.objects.get(email="ann@example.org")
    assert ann.organisation.name == "Food Bank"
    assert ann.organisation.sector == "small-charity"
    follow = facilitator.get(response["Location"])
    assert "1 added, 1 updated" in follow.content.decode()
    assert IMPORT_SESSION_KEY not in facilitator.session


def test_confirm_twice_does_not_import_twice(facilitator, community, csv_file):
    response = _upload(facilitator, community, csv_file, HEADER + "Ann,ann@example.org,,vcs,\n")
    import_id = response.context["import_id"]
    _confirm(facilitator, community, import_id)
    again = _confirm(facilitator, community, import_id)
    assert again.status_code == 400
    assert "expired" in again.content.decode()
    assert Stakeholder.objects.filter(community=community).count() == 1


def test_confirm_with_a_forged_id_imports_nothing(facilitator, community, csv_file):
    _upload(facilitator, community, csv_file, HEADER + "Ann,ann@example.org,,vcs,\n")
    assert _confirm(facilitator, community, "forged").status_code == 400
    assert not Stakeholder.objects.exists()


def test_pending_import_cannot_be_confirmed_into_another_community(
    admin, community, other_community, csv_file
):
    response = _upload(admin, community, csv_file, HEADER + "Ann,ann@example.org,,vcs,\n")
    assert _confirm(admin, other_community, response.context["import_id"]).status_code == 400
    assert not Stakeholder.objects.exists()


def test_rows_with_problems_block_the_whole_import(facilitator, community, csv_file):
    content = (
        HEADER + "Ann,ann@example.org,,vcs,\nBob,bob-at-example,,vcs,\nCat,,,astrology,\n,,,vcs,\n"
    )
    response = _upload(facilitator, community, csv_file, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "3 rows have problems" in html
    assert "not a valid email address" in html
    assert "Unknown sector" in html
    assert "The name is blank" in html
    assert 'name="import_id"' not in html
    assert IMPORT_SESSION_KEY not in facilitator.session


def test_changes_since_preview_are_caught_at_confirm(facilitator, community, csv_file):
    response = _upload(facilitator, community, csv_file, HEADER + "Ann,ann@example.org,,vcs,\n")
    # Someone adds a different person with the same email, and a conflicting row appears.
    StakeholderFactory(community=community, email="ann@example.org", name="Other Ann")
    session = facilitator.session
    session[IMPORT_SESSION_KEY]["rows"].append(
        [3, "Ann Two", "ANN@example.org", "", "vcs", "", True]
    )
    session.save()
    response = _confirm(facilitator, community, response.context["import_id"])
    assert response.status_code == 409
    assert "changed since the preview" in response.content.decode()
    assert Stakeholder.objects.filter(community=community).count() == 1


def test_import_is_all_or_nothing_when_a_write_fails(facilitator, community, csv_file, monkeypatch):
    response = _upload(
        facilitator, community, csv_file, HEADER + "Ann,ann@example.org,New Org,vcs,\n"
    )

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Stakeholder.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        _confirm(facilitator, community, response.context["import_id"])
    assert not Organisation.objects.filter(name="New Org").exists()


@pytest.mark.parametrize(
    "content,message",
    [
        (b"PK\x03\x04\x14\x00\x06\x00xlsx", "not a CSV file"),
        (b"\x00\x01\x02binary", "does not look like a CSV file"),
        (b"name,email\nAnn,a@example.org\n", "Missing: organisation, sector, role"),
        (HEADER.encode() + b"Ann \x81\x8d,a@example.org,,vcs,\n", "could not read the characters"),
        (b"", "empty"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(
    facilitator, community, csv_file, content, message
):
    response = _upload(facilitator, community, csv_file, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Stakeholder.objects.exists()


def test_a_file_over_two_megabytes_is_refused(facilitator, community, csv_file):
    content = HEADER + "Ann,ann@example.org,,vcs," + "x" * (2 * 1024 * 1024) + "\n"
    response = _upload(facilitator, community, csv_file, content)
    assert response.status_code == 400
    assert "the limit is 2 MB" in response.content.decode()


def test_no_file_is_a_clear_error(facilitator, community):
    response = facilitator.post(reverse("communities:import", kwargs={"slug": community.slug}), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_bom_crlf_extra_columns_and_cp1252_are_accepted(facilitator, community, csv_file):
    content = "\ufeffname,email,organisation,sector,role,notes\r\nZoë,z@example.org,Café Hub,Faith group,,hi\r\n"
    response = _upload(facilitator, community, csv_file, content.encode("utf-8"))
    assert response.status_code == 200
    assert "notes" in response.content.decode()  # the ignored column is named
    response = _upload(
        facilitator, community, csv_file, content.replace("\ufeff", "").encode("cp1252")
    )
    assert response.status_code == 200
    assert "Windows" in response.content.decode()
    _confirm(facilitator, community, response.context["import_id"])
    assert Stakeholder.objects.get(community=community).name == "Zoë"


def test_duplicate_rows_are_imported_once(facilitator, community, csv_file):
    response = _upload(
        facilitator,
        community,
        csv_file,
        HEADER + "Ann,a@example.org,,vcs,\nAnn,a@example.org,,vcs,\n",
    )
    _confirm(facilitator, community, response.context["import_id"])
    assert Stakeholder.objects.filter(community=community).count() == 1


def test_formula_cells_are_stored_as_text_and_neutralised_on_export(
    facilitator, community, csv_file
):
    response = _upload(
        facilitator, community, csv_file, HEADER + "=1+2,f@example.org,@evil,vcs,-role\n"
    )
    assert "=1+2" in response.content.decode()
    _confirm(facilitator, community, response.context["import_id"])
    person = Stakeholder.objects.get(community=community)
    assert person.name == "=1+2"
    assert person.organisation.name == "@evil"
    export = facilitator.get(reverse("communities:export_csv", kwargs={"slug": community.slug}))
    text = export.content.decode("utf-8-sig")
    assert "'=1+2,f@example.org,'@evil,vcs,'-role,yes" in text


def test_ten_thousand_rows_import_in_one_go(facilitator, community, csv_file):
    lines = [HEADER] + [
        f"Person {i},p{i}@example.org,Org {i % 40},health,Partner\n" for i in range(10_000)
    ]
    response = _upload(facilitator, community, csv_file, "".join(lines))
    assert response.status_code == 200
    assert "Person 9999" in response.content.decode()
    response = _confirm(facilitator, community, response.context["import_id"])
    assert response.status_code == 302
    assert Stakeholder.objects.filter(community=community).count() == 10_000
    assert Organisation.objects.filter(community=community).count() == 40


def _confirm_queries(client, community, csv_file, new: int, updates: int, offset: int) -> int:
    lines = [HEADER] + [
        f"P{i},p{i}@example.org,Org {i},vcs,\n" for i in range(offset, offset + new)
    ]
    lines += [f"Renamed {i},P{i}@EXAMPLE.org,,health,\n" for i in range(updates)]
    response = _upload(client, community, csv_file, "".join(lines))
    with CaptureQueriesContext(connection) as queries:
        assert _confirm(client, community, response.context["import_id"]).status_code == 302
    return len(queries)


def test_import_query_count_does_not_grow_with_rows(facilitator, community, csv_file):
    _confirm_queries(facilitator, community, csv_file, 200, 0, 0)  # people to update later
    small = _confirm_queries(facilitator, community, csv_file, 10, 5, 1000)
    large = _confirm_queries(facilitator, community, csv_file, 200, 100, 5000)
    assert Stakeholder.objects.filter(community=community, sector="health").count() == 100
    assert small == large


def test_upload_page_shows_accepted_sectors(facilitator, community):
    html = facilitator.get(
        reverse("communities:import", kwargs={"slug": community.slug})
    ).content.decode()
    assert "lived-experience" in html
    assert 'enctype="multipart/form-data"' in html
