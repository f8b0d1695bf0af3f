#!/usr/bin/env bash
# Installs the real clients the end-to-end tests drive, once (later runs find them and return at
# once): Debian's chromium for the browser tests, grpcurl (pinned, built from the Go module proxy)
# under .tools/bin, and the Python client generated from proto/ in a virtual environment under
# .tools/python. A tool that cannot be installed stops the tests here with its name.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q >/dev/null
    apt-get install -y -q chromium >/dev/null
  else
    echo "install-test-tools: /usr/bin/chromium is missing; install Debian's chromium package (as root: apt-get install chromium)" >&2
    exit 1
  fi
fi

grpcurl_version=v1.9.4
if ! go version -m "$root/.tools/bin/grpcurl" 2>/dev/null | grep -Eq "^\s+mod\s+github.com/fullstorydev/grpcurl\s+$grpcurl_version\s"; then
  GOBIN="$root/.tools/bin" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$grpcurl_version"
fi

"$root/examples/python/setup.sh" >/dev/null
