#!/usr/bin/env bash
# Scale-out demonstration: two gunicorn instances ("host A" and "host B", different loopback
# ports, each with its own workers and no shared memory) on one PostgreSQL database. A user logs
# in on A and carries on on B with the same session cookie, because sessions live in the
# database; see the Python part below for exactly what is checked. Exits non-zero on failure.
#
# Run by scripts/prod-check.sh (TWO_HOSTS_REUSE_DB=1: it has set up the environment and a
# migrated database). Run alone, it creates and drops its own database smm_twohosts.
#   PG_ADMIN_URL  (default postgres://postgres@127.0.0.1:5432)
#   TWO_HOSTS_PORT_A / TWO_HOSTS_PORT_B  (default 8102 / 8103)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"
PORT_A="${TWO_HOSTS_PORT_A:-8102}"
PORT_B="${TWO_HOSTS_PORT_B:-8103}"
say() { printf '%s\n' "two-hosts: $*"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/smm-twohosts.XXXXXX")"
PIDS=()
OWN_DB=""
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$OWN_DB" ]; then
    dropdb --if-exists --force --maintenance-db="$PG_ADMIN_URL/postgres" "$OWN_DB" >/dev/null 2>&1 || true
  fi
  if [ $rc -ne 0 ]; then
    for log in "$WORK"/host-*.log; do
      [ -f "$log" ] && { echo "--- $log ---" >&2; tail -n 30 "$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

if [ "${TWO_HOSTS_REUSE_DB:-}" != "1" ]; then
  OWN_DB=smm_twohosts
  export DJANGO_SETTINGS_MODULE=smm_site.settings.production
  SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
  export SECRET_KEY
  export DATABASE_URL="$PG_ADMIN_URL/$OWN_DB"
  export ALLOWED_HOSTS="127.0.0.1,localhost"
  export STATIC_ROOT="$WORK/static" MEDIA_ROOT="$WORK/media" LOG_FORMAT=json
  dropdb --if-exists --force --maintenance-db="$PG_ADMIN_URL/postgres" "$OWN_DB" 2>/dev/null
  createdb --maintenance-db="$PG_ADMIN_URL/postgres" "$OWN_DB"
  "$PY" manage.py migrate --noinput -v0
  "$PY" manage.py collectstatic --noinput -v0
fi

# Both hosts share only what real hosts would share: the environment (same SECRET_KEY) and
# the database. Each has its own process tree, its own local-memory cache and its own port.
for name in a b; do
  port=$PORT_A; [ "$name" = b ] && port=$PORT_B
  GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY=1 \
    .venv/bin/gunicorn -c gunicorn.conf.py >"$WORK/host-$name.log" 2>&1 &
  PIDS+=($!)
done
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done
done

TWO_HOSTS_PORT_A="$PORT_A" TWO_HOSTS_PORT_B="$PORT_B" "$PY" - <<'PYTHON'
"""Log in on A, work on B; a stakeholder answers across both; log out on B, refused on A."""

import http.client
import os
import re
import sys
import urllib.parse
from http.cookies import SimpleCookie

import django

django.setup()

from communities.models import User  # noqa: E402
from tests.factories import (  # noqa: E402
    AssessmentFactory,
    CommunityFactory,
    FocalIssueFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
)

A, B = int(os.environ["TWO_HOSTS_PORT_A"]), int(os.environ["TWO_HOSTS_PORT_B"])
PASSWORD = "two-hosts-" + os.urandom(8).hex()

community = CommunityFactory(name="Twohosts Shire", slug="twohosts-shire")
FocalIssueFactory(community=community)
user = UserFactory(username="twohosts-facilitator", role=User.Role.FACILITATOR, password=PASSWORD)
MembershipFactory(user=user, community=community)
assessment = AssessmentFactory(
    community=community, focal_issue=community.current_focal_issue, title="Two-host baseline"
)
participant = ParticipantFactory(assessment=assessment)
checks: list[str] = []


class Browser:
    """Just enough of a browser: one cookie jar, used against either host."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            # What the TLS-terminating proxy in front of each host adds.
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{port}"
            headers["Referer"] = f"https://127.0.0.1:{port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, text


def expect(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"two-hosts: FAILED: {message}")
    checks.append(message)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    expect(match is not None, "the form carries a CSRF token")
    assert match is not None
    return match.group(1)


browser = Browser()
status, _, html = browser.request(A, "GET", "/accounts/login/")
expect(status == 200, "host A serves the login page")
status, headers, _ = browser.request(
    A,
    "POST",
    "/accounts/login/",
    {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(html)},
)
expect(status == 302 and "sessionid" in browser.cookies, "log in on host A sets a session")

status, _, html = browser.request(B, "GET", "/")
expect(status == 200, "host B serves the dashboard with host A's session cookie")
expect(user.username in html, "host B knows who is logged in")
expect(community.name in html, "host B lists the facilitator's community")

status, _, html = browser.request(A, "GET", f"/communities/{community.slug}/")
expect(status == 200 and community.name in html, "host A serves the community page")

# A round across both hosts: the stakeholder's answers are saved on whichever host the load
# balancer picks (alternately here), submitted on B, seen by the facilitator on B, and
# collection is closed on A, after which host B refuses further answers.
sheet = f"/s/{participant.token}/"
stakeholder = Browser()
for port in (A, B):
    status, _, html = stakeholder.request(port, "GET", sheet)
    expect(status == 200, f"personal link opens on port {port}")
token = csrf_token(html)
dimensions = list(assessment.rubric.dimensions.order_by("number"))
for i, dimension in enumerate(dimensions):
    port = (A, B)[i % 2]
    status, _, _ = stakeholder.request(
        port,
        "POST",
        f"{sheet}save/",
        {
            "csrfmiddlewaretoken": token,
            "dimension": str(dimension.pk),
            "level": "3",
            "reason": f"Example {dimension.number}",
        },
    )
    expect(status == 303, f"answer {dimension.number} saved on port {port}")
status, _, _ = stakeholder.request(B, "POST", f"{sheet}submit/", {"csrfmiddlewaretoken": token})
expect(status == 303, "sheet submitted on host B")
participant.refresh_from_db()
expect(participant.submitted_at is not None, "the submission is in the shared database")

round_url = f"/rounds/{assessment.code}/"
status, _, html = browser.request(B, "GET", round_url)
expect(status == 200 and "Submitted" in html, "host B's round page shows the submission")
status, _, _ = browser.request(
    A, "POST", f"{round_url}status/", {"csrfmiddlewaretoken": csrf_token(html), "to": "workshop"}
)
assessment.refresh_from_db()
expect(status == 303 and assessment.status == "workshop", "collection closed on host A")
status, _, _ = stakeholder.request(
    B,
    "POST",
    f"{sheet}save/",
    {"csrfmiddlewaretoken": token, "dimension": str(dimensions[0].pk), "level": "5"},
)
expect(status == 409, "host B refuses answers once host A has closed collection")

# Logging out on B ends the session everywhere: host A sends the user to the login page.
status, _, html = browser.request(B, "GET", "/")
old_session = browser.cookies["sessionid"]
status, _, _ = browser.request(B, "POST", "/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(html)})
expect(status == 302, "log out on host B")
expect("sessionid" not in browser.cookies, "host B clears the session cookie")
browser.cookies["sessionid"] = old_session  # replay it, as a stolen copy would be
status, headers, _ = browser.request(A, "GET", "/")
expect(
    status == 302 and "/accounts/login/" in headers.get("Location", ""),
    "host A no longer accepts the session ended on host B",
)
for line in checks:
    print(f"two-hosts: ok - {line}")
PYTHON
say "OK"
