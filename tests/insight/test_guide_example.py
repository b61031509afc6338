"""The Python example in docs/guide-evaluator.md runs against a live server and reads every
page of agreed levels with a token."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from insight.models import ApiToken
from tests.e2e.conftest import ROOT
from tests.insight.conftest import FOUR, finalised_round, more_communities, new_community

GUIDE = ROOT / "docs" / "guide-evaluator.md"


def example() -> str:
    (code,) = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    return code


@pytest.mark.django_db(transaction=True)
def test_the_guides_example_reads_every_page(live_server, evaluator_user, monkeypatch):
    merthyr = new_community("Merthyr Tydfil", nation="wales")
    finalised_round(merthyr, "2023 baseline", levels=[4] * 9, sectors=FOUR)
    more_communities(1)  # in England: the example asks for Wales only
    _row, token = ApiToken.issue(user=evaluator_user, name="guide")
    monkeypatch.setenv("SMM_API_TOKEN", token)
    code = example().replace('"https://smm.example.org"', repr(live_server.url))
    code = code.replace("limit=100", "limit=4")  # three pages of nine rows
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(GUIDE), "exec"), {})  # noqa: S102 - our own documentation
    lines = printed.getvalue().splitlines()
    assert len(lines) == 9
    assert lines[0] == "Merthyr Tydfil 2023 baseline Vision 4"
    assert ApiToken.objects.get().uses.count() == 3
