#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (moulin_sync_tests/e2e/test_dagster_ui.py),
# only when /usr/bin/chromium is missing. Idempotent and quiet: prints nothing and exits 0
# when Chromium is already there. Playwright drives it through executable_path, so neither
# `playwright install` (whose download fails on a closed network) nor a driver is needed.
#
# When Chromium cannot be installed (no apt-get, not root and no sudo), it says so and
# exits 0 so the rest of the tests still run (the browser test then skips), except with
# CI=true, where the browser test must run: then it exits 1.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[[ -x "$CHROMIUM" ]] && exit 0

cannot() {
  echo "install_browser.sh: $1 — the browser test will be skipped." >&2
  [[ "${CI:-}" == "true" ]] && exit 1
  exit 0
}

command -v apt-get >/dev/null 2>&1 || cannot "no apt-get: install Chromium at $CHROMIUM yourself"
SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    cannot "not root and no password-less sudo: run 'apt-get install chromium' as root"
  fi
fi

echo "Installing Chromium (Debian package) for the browser tests…"
log="$(mktemp -t install-browser.XXXXXX.log)"
if ! { "${SUDO[@]}" apt-get update -qq \
       && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
       >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -f "$log"
  cannot "apt-get install chromium failed"
fi
rm -f "$log"
[[ -x "$CHROMIUM" ]] || cannot "the chromium package did not provide $CHROMIUM"
