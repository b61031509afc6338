"""Reading stakeholder CSV files and planning the import: every kind of bad input."""

from __future__ import annotations

import pytest

from communities.csv_io import (
    CsvFileError,
    neutralise,
    plan_import,
    read_csv,
    resolve_sector,
    write_csv,
)

HEADER = "name,email,organisation,sector,role\n"


def _plan(text: str | bytes, emails=None, orgs=None):
    data = text.encode() if isinstance(text, str) else text
    parsed = read_csv(data)
    plan = plan_import(parsed.rows, existing_emails=emails or {}, existing_organisations=orgs or {})
    plan.notes[:0] = parsed.notes
    return plan


def test_a_good_file_plans_creates():
    plan = _plan(HEADER + "Ann,ann@example.org,Food Bank,small-charity,Volunteer\n")
    assert plan.is_valid
    assert plan.creates == 1
    assert plan.new_organisations == ["Food Bank"]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("health", "health"),
        ("HEALTH", "health"),
        ("Voluntary and community sector", "vcs"),
        ("statutory / PUBLIC body", "statutory"),
        ("lived experience group", "lived-experience"),
        ("Police-Justice", "police-justice"),
        ("astrology", None),
    ],
)
def test_sector_is_matched_by_value_or_label_in_any_case(raw, expected):
    assert resolve_sector(raw) == expected


def test_invalid_email_unknown_sector_and_blank_name_are_row_problems():
    plan = _plan(
        HEADER
        + "Ann,not-an-email,,health,\n"
        + "Bob,bob@example.org,,astrology,\n"
        + ",c@example.org,,vcs,\n"
    )
    problems = [row.problems for row in plan.rows]
    assert "not a valid email" in problems[0][0]
    assert "Unknown sector “astrology”" in problems[1][0]
    assert problems[2] == ["The name is blank."]
    assert not plan.is_valid


def test_missing_columns_are_refused_with_the_names():
    with pytest.raises(CsvFileError) as error:
        read_csv(b"name,email\nAnn,ann@example.org\n")
    assert "Missing: organisation, sector, role" in error.value.message


def test_extra_columns_are_ignored_with_a_note():
    plan = _plan("name,email,organisation,sector,role,phone\nAnn,a@example.org,,vcs,,0123\n")
    assert plan.is_valid
    assert any("phone" in note for note in plan.notes)


def test_columns_in_any_order_and_case_with_bom_and_crlf():
    data = (
        "\ufeffEmail,Name,Sector,Organisation,Role\r\nA@example.org,Ann,Health,NHS,GP\r\n".encode()
    )
    plan = _plan(data)
    assert plan.is_valid
    row = plan.rows[0]
    assert (row.name, row.email, row.sector, row.organisation) == (
        "Ann",
        "A@example.org",
        "health",
        "NHS",
    )
    assert not plan.notes


def test_windows_1252_file_is_read_with_a_note():
    data = (HEADER + "Zoë Müller,z@example.org,Café,vcs,\n").encode("cp1252")
    plan = _plan(data)
    assert plan.rows[0].name == "Zoë Müller"
    assert any("Windows" in note for note in plan.notes)


def test_undecodable_bytes_give_a_clear_error():
    with pytest.raises(CsvFileError) as error:
        read_csv(HEADER.encode() + b"Ann \x81\x8d\xff\xfe,a@example.org,,vcs,\n")
    assert "could not read the characters" in error.value.message


def test_exact_duplicate_rows_are_imported_once():
    plan = _plan(HEADER + "Ann,a@example.org,,vcs,\n" + "Ann,A@EXAMPLE.ORG,,VCS,\n")
    assert plan.is_valid
    assert [row.action for row in plan.rows] == ["create", "skip"]
    assert plan.rows[1].sector == "vcs"


def test_same_email_with_different_details_is_a_problem():
    plan = _plan(HEADER + "Ann,a@example.org,,vcs,\n" + "Annie,a@example.org,,health,\n")
    assert not plan.is_valid
    assert "also on row 2" in plan.rows[1].problems[0]


def test_existing_email_is_an_update_case_insensitively():
    plan = _plan(
        HEADER + "Asha,ASHA@Example.org,,vcs,\n", emails={"asha@example.org": "Asha Patel"}
    )
    assert plan.rows[0].action == "update"
    assert plan.updates == 1
    assert "Asha Patel" in plan.rows[0].notes[0]


def test_existing_organisation_is_matched_by_name_and_gives_its_sector():
    plan = _plan(HEADER + "Ann,,halton housing,,\n", orgs={"halton housing": "housing"})
    assert plan.is_valid
    assert plan.rows[0].sector == "housing"
    assert plan.new_organisations == []


def test_new_organisation_named_on_two_rows_is_created_once():
    plan = _plan(HEADER + "Ann,,Food Bank,small-charity,\nBob,,FOOD BANK,small-charity,\n")
    assert plan.new_organisations == ["Food Bank"]


def test_formula_cells_are_kept_as_text_with_a_note():
    plan = _plan(HEADER + '"=HYPERLINK(""http://evil"")",,@org,vcs,+role\n')
    row = plan.rows[0]
    assert row.name == '=HYPERLINK("http://evil")'
    assert row.organisation == "@org"
    assert plan.is_valid
    assert any("plain text" in note for note in row.notes)


def test_a_row_with_too_many_cells_is_a_problem():
    plan = _plan(HEADER + "Ann,a@example.org,Smith, Jones and Co,vcs,Partner\n")
    assert "more cells than there are columns" in plan.rows[0].problems[0]


def test_short_rows_are_read_as_blank_cells():
    plan = _plan(HEADER + "Ann,a@example.org\n")
    assert plan.rows[0].problems == [
        "The sector is blank. Use one of: statutory, health, police-justice, housing, vcs, small-charity, private, faith, lived-experience."
    ]


@pytest.mark.parametrize(
    "data,message",
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx", "Excel"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"some\x00binary\x00stuff", "does not look like a CSV"),
        (b"", "empty"),
        (b"Just a sentence, not a table at all.", "must name the columns"),
        (HEADER.encode(), "no stakeholders"),
        (
            b'name,email,organisation,sector,role\n"unterminated,a,b,c,d\n',
            "could not be read as CSV near line",
        ),
    ],
)
def test_files_that_are_not_usable_csv_get_a_clear_message(data, message):
    with pytest.raises(CsvFileError) as error:
        read_csv(data)
    assert message in error.value.message


def test_a_file_over_two_megabytes_is_refused():
    with pytest.raises(CsvFileError) as error:
        read_csv(HEADER.encode() + b"x" * (2 * 1024 * 1024))
    assert "limit is 2 MB" in error.value.message


def test_semicolon_separated_files_are_read():
    plan = _plan("name;email;organisation;sector;role\nAnn;a@example.org;;vcs;\n")
    assert plan.is_valid


@pytest.mark.parametrize("value", ["=1+1", "+44 1234", "-2", "@SUM(A1)", "\tx"])
def test_neutralise_makes_formulas_text(value):
    assert neutralise(value) == "'" + value


def test_neutralise_leaves_ordinary_text():
    assert neutralise("Ann") == "Ann"
    assert neutralise(None) == ""


def test_write_csv_neutralises_every_cell():
    text = write_csv(["name"], [["=cmd|' /C calc'!A0"], ["Ann"]])
    assert text == "name\r\n'=cmd|' /C calc'!A0\r\nAnn\r\n"


def test_ten_thousand_rows_plan_quickly():
    lines = [HEADER] + [
        f"Person {i},p{i}@example.org,Org {i % 50},vcs,Partner\n" for i in range(10_000)
    ]
    plan = _plan("".join(lines))
    assert plan.is_valid
    assert plan.creates == 10_000
    assert len(plan.new_organisations) == 50
