#!/usr/bin/env bash
# Installs what the browser tests (tests/report_browser.rs) need: Debian's Chromium and the
# locked puppeteer-core that drives it. Called by .ci/run; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-browser: chromium is missing and this is not root; install it with: apt-get install -y chromium" >&2
        exit 1
    fi
    echo "== apt-get install chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version 2>/dev/null || true

echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
