#!/usr/bin/env bash
# The Debian packages the test suite needs beside the Python environment: bubblewrap (the
# grading sandbox) and chromium (the browser tests). Run by `make test`, `make test-fast` and
# .ci/run: as root it installs what is missing; otherwise it stops, saying what to install.
set -euo pipefail
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v chromium >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} with apt-get (the tests need them)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "The tests need the Debian packages ${missing[*]}: install them with \`sudo apt-get install ${missing[*]}\` (or run make test as root, which installs them)." >&2
  exit 1
fi
