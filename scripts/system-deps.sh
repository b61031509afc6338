#!/usr/bin/env bash
# Installs the system libraries WeasyPrint needs, and Debian's Chromium and a Java for the browser
# and HTML tests, when they are missing and we are allowed to (root with apt-get). Otherwise says
# what to install.
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q "libpango-1.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset" || need+=(libharfbuzz-subset0)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# Chromium, Java (the Nu HTML Checker, vnu.jar) and gettext only for the tests (`system-deps.sh
# --browser`), not for `make run`.
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
  # GNU gettext: tests/test_welsh.py runs makemessages to find messages without a Welsh translation.
  command -v xgettext >/dev/null 2>&1 || need+=(gettext)
fi
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Please install these system packages: ${need[*]}" >&2
  command -v apt-get >/dev/null 2>&1 && echo "  sudo apt-get install ${need[*]}" >&2
fi
