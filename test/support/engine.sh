#!/usr/bin/env bash
# A private, single-node Docker Swarm engine for integration tests.
#
#   bash test/support/engine.sh up      # install what is missing, start dockerd, swarm init (idempotent)
#   bash test/support/engine.sh down    # leave the swarm, stop dockerd by its PID (data stays)
#   bash test/support/engine.sh stop    # stop dockerd but stay in the swarm (services survive a
#                                       # `start`, like an engine restart on a real node)
#   bash test/support/engine.sh start   # same as up
#   bash test/support/engine.sh fresh   # down, wipe the data root, up: an empty engine (CI starts so,
#                                       # whatever an earlier run on the same machine left behind)
#   bash test/support/engine.sh env     # prints: export DOCKER_HOST=unix:///run/sb-test/docker.sock
#   bash test/support/engine.sh status  # exit 0 when the engine answers, 1 otherwise
#
# The engine runs in the host network namespace with its own data root, exec root, pidfile and
# socket, so it never touches /var/run/docker.sock or an engine somebody else started.
# Must run as root. Overridable: SB_TEST_ENGINE_TIMEOUT (seconds, default 60).
set -euo pipefail

readonly RUN_DIR=/run/sb-test
readonly DATA_ROOT=/var/lib/sb-test/docker
readonly EXEC_ROOT=$RUN_DIR/exec
readonly PIDFILE=$RUN_DIR/docker.pid
readonly SOCK=$RUN_DIR/docker.sock
readonly LOG=/tmp/sb-test-dockerd.log
readonly TIMEOUT=${SB_TEST_ENGINE_TIMEOUT:-60}
export DOCKER_HOST=unix://$SOCK

log() { printf '[engine %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Installs Debian packages for the commands that are missing: "cmd:package" pairs.
ensure_packages() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "packages missing (${missing[*]}) and not root"
  log "installing ${missing[*]}"
  # Keep the packages' init scripts from starting a system dockerd on /var/run/docker.sock.
  local added_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || rc=$?
  [[ $added_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || die "apt-get install ${missing[*]} failed (rc=$rc)"
}

daemon_pid() {
  [[ -s $PIDFILE ]] || return 1
  local pid
  pid=$(<"$PIDFILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the PID is our dockerd and not a recycled number.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--pidfile $PIDFILE" || return 1
  echo "$pid"
}

answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

start_daemon() {
  local launcher=''
  if daemon_pid >/dev/null; then
    log "dockerd already running (pid $(daemon_pid))"
  else
    mkdir -p "$RUN_DIR" "$EXEC_ROOT" "$DATA_ROOT"
    rm -f "$SOCK"
    log "starting dockerd (log: $LOG)"
    # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: Swarm tasks use the local image instead of trying to
    # pull it first (there is no registry; a pull attempt per task only costs time).
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd \
      --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
      -H "unix://$SOCK" >>"$LOG" 2>&1 </dev/null &
    launcher=$!
    disown "$launcher" 2>/dev/null || true
  fi
  local deadline=$((SECONDS + TIMEOUT))
  until answers; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG" >&2 || true
      die "dockerd did not answer on $SOCK within ${TIMEOUT}s (log: $LOG)"
    fi
    if [[ -n $launcher ]] && ! kill -0 "$launcher" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      die "dockerd exited during start-up (log: $LOG)"
    fi
    sleep 0.5
  done
  log "dockerd $(docker info --format '{{.ServerVersion}}') answers on $SOCK"
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

ensure_swarm() {
  local state
  state=$(swarm_state)
  case $state in
    active) log "swarm already active" ;;
    inactive)
      log "docker swarm init --advertise-addr 127.0.0.1"
      docker swarm init --advertise-addr 127.0.0.1 >/dev/null
      ;;
    *)
      log "swarm in state '$state': leaving and re-initialising"
      docker swarm leave --force >/dev/null 2>&1 || true
      docker swarm init --advertise-addr 127.0.0.1 >/dev/null
      ;;
  esac
  local deadline=$((SECONDS + TIMEOUT))
  until [[ $(docker node ls --format '{{.Status}}/{{.Availability}}' 2>/dev/null) == Ready/Active ]]; do
    ((SECONDS < deadline)) || die "swarm node not Ready within ${TIMEOUT}s"
    sleep 0.5
  done
  log "swarm active, node Ready"
}

cmd_up() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  ensure_packages dockerd:docker.io iptables:iptables busybox:busybox-static
  command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH"
  start_daemon
  ensure_swarm
}

cmd_down() {
  if daemon_pid >/dev/null && answers && [[ $(swarm_state) != inactive ]]; then
    log "docker swarm leave --force"
    timeout 60 docker swarm leave --force >/dev/null 2>&1 || log "swarm leave failed (continuing)"
  fi
  stop_daemon
}

stop_daemon() {
  local pid
  if ! pid=$(daemon_pid); then
    log "dockerd not running"
    rm -f "$PIDFILE"
    return 0
  fi
  log "stopping dockerd pid $pid"
  kill -TERM "$pid"
  local deadline=$((SECONDS + TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "dockerd still running after ${TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # Its managed containerd would otherwise outlive it.
      local cpid
      cpid=$(cat "$EXEC_ROOT/containerd/containerd.pid" 2>/dev/null || true)
      [[ $cpid =~ ^[0-9]+$ ]] && kill -TERM "$cpid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$PIDFILE"
  log "dockerd stopped"
}

# Everything an earlier run left (services, tasks, networks, images) goes with the data root.
cmd_fresh() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  cmd_down
  local mounts
  mounts=$(awk '{print $5}' /proc/self/mountinfo | grep -E "^($DATA_ROOT|$EXEC_ROOT)(/|$)" | sort -r || true)
  [[ -z $mounts ]] || { log "unmounting $(wc -l <<<"$mounts") leftover mount(s)"; xargs -r -n1 umount -l <<<"$mounts" || true; }
  log "removing $DATA_ROOT and $EXEC_ROOT"
  rm -rf "$DATA_ROOT" "$EXEC_ROOT"
  cmd_up
}

case ${1:-} in
  up | start) cmd_up ;;
  fresh) cmd_fresh ;;
  down) cmd_down ;;
  stop) stop_daemon ;;
  env) echo "export DOCKER_HOST=unix://$SOCK" ;;
  status) answers && echo "up: $(docker info --format '{{.ServerVersion}} swarm={{.Swarm.LocalNodeState}}')" || { echo down; exit 1; } ;;
  *) echo "usage: $0 up|down|fresh|start|stop|env|status" >&2; exit 2 ;;
esac
