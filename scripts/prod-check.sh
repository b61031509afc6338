#!/usr/bin/env bash
# Runs the production settings for real against a throwaway local PostgreSQL database:
# migrate, collectstatic, check --deploy (clean at WARNING), gunicorn on a loopback port,
# /healthz, the login page, its hashed static files through whitenoise, security headers,
# JSON logs with request ids; then the two-host scale-out check (scripts/two-hosts.sh).
# Exits non-zero on any failure. Cleans up its database, files and processes either way.
#
#   PG_ADMIN_URL     server to use (default postgres://postgres@127.0.0.1:5432)
#   PROD_CHECK_PORT  loopback port for gunicorn (default 8101; two-hosts uses the next two)
#   PROD_CHECK_DB    database name (default smm_prodcheck; created and dropped)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"
DB="${PROD_CHECK_DB:-smm_prodcheck}"
PORT="${PROD_CHECK_PORT:-8101}"
BASE="http://127.0.0.1:$PORT"

say() { printf '%s\n' "prod-check: $*"; }
fail() { printf '%s\n' "prod-check: FAILED: $*" >&2; exit 1; }

if ! "$PY" scripts/db_reachable.py "$PG_ADMIN_URL/postgres"; then
  if [ "${CI:-}" = "true" ]; then fail "PostgreSQL is not reachable at $PG_ADMIN_URL (CI=true)"; fi
  say "PostgreSQL is not reachable at $PG_ADMIN_URL: skipped (set PG_ADMIN_URL)."
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/smm-prodcheck.XXXXXX")"
GUNICORN_PID=""
cleanup() {
  local rc=$?
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  dropdb --if-exists --force --maintenance-db="$PG_ADMIN_URL/postgres" "$DB" >/dev/null 2>&1 || true
  if [ $rc -ne 0 ] && [ -f "$WORK/gunicorn.log" ]; then
    echo "--- last lines of the gunicorn log ---" >&2
    tail -n 40 "$WORK/gunicorn.log" >&2
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=smm_site.settings.production
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export DATABASE_URL="$PG_ADMIN_URL/$DB"
export ALLOWED_HOSTS="127.0.0.1,localhost"
export STATIC_ROOT="$WORK/static"
export MEDIA_ROOT="$WORK/media"
export LOG_FORMAT=json
# A proxy in front terminates TLS and says so with X-Forwarded-Proto; the checks below send it.
HTTPS=(-H "X-Forwarded-Proto: https")

say "database $DB on $PG_ADMIN_URL"
dropdb --if-exists --force --maintenance-db="$PG_ADMIN_URL/postgres" "$DB" 2>/dev/null
createdb --maintenance-db="$PG_ADMIN_URL/postgres" "$DB"

say "migrate"
"$PY" manage.py migrate --noinput -v0
say "collectstatic"
"$PY" manage.py collectstatic --noinput -v0
[ -f "$STATIC_ROOT/staticfiles.json" ] || fail "collectstatic wrote no manifest"
say "check --deploy --fail-level WARNING"
"$PY" manage.py check --deploy --fail-level WARNING

say "gunicorn on $BASE"
GUNICORN_BIND="127.0.0.1:$PORT" WEB_CONCURRENCY=2 \
  .venv/bin/gunicorn -c gunicorn.conf.py >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "$BASE/healthz" && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || fail "gunicorn exited during start-up"
  sleep 0.5
done

# /healthz answers over plain HTTP (load balancers probe it on the private network).
health="$(curl -s -w '\n%{http_code}' "$BASE/healthz")"
[ "$(tail -n1 <<<"$health")" = "200" ] || fail "/healthz status: $health"
grep -q '"database": "ok"' <<<"$health" || fail "/healthz body: $health"
say "/healthz 200, database ok"

# Everything else is redirected to https when the request did not come through TLS.
code="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/accounts/login/")"
[[ "$code" == "301 https://127.0.0.1:$PORT/accounts/login/" ]] || fail "no https redirect: $code"

curl -s -D "$WORK/login.headers" -o "$WORK/login.html" "${HTTPS[@]}" -H "X-Request-ID: prodcheck-login-0001" \
  "$BASE/accounts/login/"
head -n1 "$WORK/login.headers" | grep -q " 200" || fail "login page: $(head -n1 "$WORK/login.headers")"
grep -q 'name="password"' "$WORK/login.html" || fail "login page has no password field"
header() { grep -i "^$1:" "$WORK/login.headers" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
csp="$(header Content-Security-Policy)"
# Nonces appear only on pages that use one (the pytest suite checks that); here: no loopholes.
grep -q "script-src 'self'" <<<"$csp" || fail "CSP without a strict script-src: $csp"
if grep -qE "unsafe-inline|unsafe-eval|https?:|\*" <<<"$csp"; then fail "CSP is not strict: $csp"; fi
grep -q "max-age=31536000" <<<"$(header Strict-Transport-Security)" || fail "no HSTS"
[ "$(header X-Frame-Options)" = "DENY" ] || fail "X-Frame-Options is not DENY"
[ -n "$(header Permissions-Policy)" ] || fail "no Permissions-Policy"
[ -n "$(header Referrer-Policy)" ] || fail "no Referrer-Policy"
[ "$(header X-Request-ID)" = "prodcheck-login-0001" ] || fail "X-Request-ID not propagated"
grep -i "^set-cookie: csrftoken" "$WORK/login.headers" | grep -qi "secure" || fail "CSRF cookie not Secure"
say "login page 200 with strict CSP, HSTS, X-Frame-Options, Permissions-Policy, request id"

# Every stylesheet and script on the page is a hashed, compressed, long-cached whitenoise file.
mapfile -t assets < <(grep -oE '(href|src)="/static/[^"]+"' "$WORK/login.html" | cut -d'"' -f2)
[ "${#assets[@]}" -gt 0 ] || fail "the login page references no static files"
for asset in "${assets[@]}"; do
  [[ "$asset" =~ \.[0-9a-f]{12}\.[a-z0-9]+$ ]] || fail "static file without a content hash: $asset"
  curl -s -D "$WORK/asset.headers" -o /dev/null -H "Accept-Encoding: gzip" "${HTTPS[@]}" "$BASE$asset"
  head -n1 "$WORK/asset.headers" | grep -q " 200" || fail "$asset: $(head -n1 "$WORK/asset.headers")"
  grep -qi "^cache-control: .*immutable" "$WORK/asset.headers" || fail "$asset is not cached as immutable"
  if [[ "$asset" =~ \.(css|js|svg)$ ]]; then
    grep -qi "^content-encoding: gzip" "$WORK/asset.headers" || fail "$asset is not served compressed"
  fi
done
say "${#assets[@]} static files served by whitenoise (hashed, immutable, text compressed)"

# Error pages: our 404 page, and the request id in the JSON log line Django writes for it.
curl -s -o "$WORK/404.html" -w '%{http_code}' "${HTTPS[@]}" -H "X-Request-ID: prodcheck-404-0001" \
  "$BASE/no-such-page/" | grep -q 404 || fail "unknown URL did not answer 404"
grep -q "Page not found" "$WORK/404.html" || fail "404 page is not ours"
sleep 0.5
grep '"request_id": "prodcheck-404-0001"' "$WORK/gunicorn.log" | grep -q '"level": "WARNING"' \
  || fail "no JSON log line with the request id for the 404"
say "404 page and JSON log line with the request id"

kill -TERM "$GUNICORN_PID"
wait "$GUNICORN_PID" 2>/dev/null || true
GUNICORN_PID=""

say "two app hosts on one database"
TWO_HOSTS_PORT_A=$((PORT + 1)) TWO_HOSTS_PORT_B=$((PORT + 2)) TWO_HOSTS_REUSE_DB=1 \
  bash scripts/two-hosts.sh

say "OK"
