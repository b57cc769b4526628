#!/usr/bin/env bash
# Installs the shells whose completion scripts tests/cli_completions.rs runs: zsh and fish
# (bash is already there). Called by .ci/run; safe to run again.
set -euo pipefail

missing=()
for shell in zsh fish; do
    command -v "$shell" >/dev/null 2>&1 || missing+=("$shell")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-shells: ${missing[*]} missing and this is not root; install with: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
zsh --version
fish --version
