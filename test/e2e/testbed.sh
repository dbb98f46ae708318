#!/usr/bin/env bash
# Three-node Docker Swarm on one machine, for swarm-balance end-to-end tests.
#
#   testbed.sh up                     bridge + 3 netns + 3 dockerd + swarm (3 managers)
#   testbed.sh down                   stop everything, remove all state, leave nothing running
#   testbed.sh status                 engines, `docker node ls`, leader
#   testbed.sh leader                 print the leader's node number (1|2|3) only
#   testbed.sh load-images [IMAGE...] copy images from the host test engine into every running node
#   testbed.sh stop-node N [--kill]   stop node N's dockerd (SIGTERM, or SIGKILL), it stays in the swarm
#   testbed.sh start-node N           start node N's dockerd again, wait until it is Ready in the swarm
#   testbed.sh env N                  print `export DOCKER_HOST=unix:///run/sb-e2e-nN/docker.sock`
#
# See test/e2e/README.md for the layout and the reasons behind each step.
# Must run as root. Every wait is bounded and fails with a message naming what it waited for.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Layout (everything is namespaced by the "sb-e2e" / "sbn" / "sbe2e" prefixes)
# ---------------------------------------------------------------------------------------------
readonly NODES=(1 2 3)
readonly BRIDGE=sbe2e0
readonly NET_PREFIX=10.213.0          # bridge 10.213.0.1, node N = 10.213.0.1N
readonly BRIDGE_ADDR=${NET_PREFIX}.1
readonly BRIDGE_CIDR=${NET_PREFIX}.0/24
# Swarm-scope (overlay) pool: far from the node-local pools and from the host's networks.
readonly SWARM_POOL=10.230.0.0/16
readonly SWARM_POOL_MASK=24
readonly HOST_TEST_DOCKER_HOST=${SB_TEST_DOCKER_HOST:-unix:///run/sb-test/docker.sock}
readonly DEFAULT_IMAGES=(sb-test/busybox:1 sb-test/node:1)
readonly LOCK_FILE=/run/sb-e2e.lock
readonly DATA_BASE=/var/lib/sb-e2e

ns_name()     { echo "sbn$1"; }
ns_path()     { echo "/var/run/netns/sbn$1"; }
node_addr()   { echo "${NET_PREFIX}.1$1"; }
host_veth()   { echo "sbe2e-n$1"; }              # host side of the veth pair
run_dir()     { echo "/run/sb-e2e-n$1"; }
data_root()   { echo "${DATA_BASE}/n$1"; }
exec_root()   { echo "/run/sb-e2e-n$1/exec"; }
pid_file()    { echo "/run/sb-e2e-n$1/docker.pid"; }
sock_path()   { echo "/run/sb-e2e-n$1/docker.sock"; }
log_file()    { echo "/tmp/sb-e2e-n$1.log"; }
node_host()   { echo "sbn$1"; }                  # UTS hostname = swarm node hostname
bip()         { echo "10.214.$1.1/24"; }         # docker0 inside the node namespace
local_pool()  { echo "base=10.22$1.0.0/16,size=24"; }  # docker_gwbridge & local networks
cgroup_parent() { echo "sb-e2e-n$1"; }
ctrd_ns()     { echo "sb-e2e-n$1"; }

log()  { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

# docker CLI against node N, bounded in time. Never inherit a context/host from the caller.
dk() {
  local n=$1; shift
  env -u DOCKER_CONTEXT -u DOCKER_HOST timeout "${DK_TIMEOUT:-60}" docker -H "unix://$(sock_path "$n")" "$@"
}
dk_host() { env -u DOCKER_CONTEXT -u DOCKER_HOST timeout "${DK_TIMEOUT:-300}" docker -H "$HOST_TEST_DOCKER_HOST" "$@"; }

check_node_arg() {
  [[ ${1:-} =~ ^[123]$ ]] || die "node number must be 1, 2 or 3 (got '${1:-}')"
}

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 900 9 || die "another testbed.sh holds $LOCK_FILE for more than 900 s"
}

# wait_until SECONDS DESCRIPTION COMMAND...   (polls every 0.5 s)
wait_until() {
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${secs}s waiting for: $what"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------
ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v containerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v busybox >/dev/null || missing+=(busybox-static)
  command -v ip >/dev/null || missing+=(iproute2)
  { command -v nsenter && command -v unshare && command -v flock; } >/dev/null || missing+=(util-linux)
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update || die "apt-get update failed or took more than 600 s"
  # shellcheck disable=SC2046
  timeout 900 apt-get install -y --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) \
    || die "apt-get install ${missing[*]} failed or took more than 900 s"
}

# ---------------------------------------------------------------------------------------------
# Network: bridge, namespaces, veths, firewall
# ---------------------------------------------------------------------------------------------
# Host rules. The ACCEPT lets the nodes talk to each other (dockerd sets FORWARD policy DROP and
# br_netfilter sends bridged frames through FORWARD). The REJECTs keep everything inside: nothing
# from the testbed is ever forwarded off this bridge (containers would otherwise try the host's
# DNS server or 8.8.8.8 through the host's default route).
host_rules() {
  echo "FORWARD -i $BRIDGE -o $BRIDGE -m comment --comment sb-e2e -j ACCEPT"
  echo "FORWARD -i $BRIDGE ! -o $BRIDGE -m comment --comment sb-e2e -j REJECT"
  echo "FORWARD -o $BRIDGE ! -i $BRIDGE -m comment --comment sb-e2e -j REJECT"
}

# Rules inside each node namespace (as TESTBED.md: a node tries to pull every image before it uses
# its local copy; make those lookups fail at once). The last one rejects anything else that would
# leave the node towards an address off the testbed bridge.
ns_rules() {
  echo "OUTPUT -p udp --dport 53 ! -d 127.0.0.0/8 -m comment --comment sb-e2e -j REJECT"
  echo "OUTPUT -p tcp --dport 53 ! -d 127.0.0.0/8 -m comment --comment sb-e2e -j REJECT --reject-with tcp-reset"
  echo "OUTPUT -p tcp --dport 443 -m comment --comment sb-e2e -j REJECT --reject-with tcp-reset"
  echo "OUTPUT -o eth0 ! -d $BRIDGE_CIDR -m comment --comment sb-e2e -j REJECT"
}

# ensure_rule PREFIX_CMD... -- RULE  (PREFIX_CMD: nothing, or nsenter into a netns)
ensure_rules() {
  local -a pre=("$@")
  local rule chain rest
  local -a rules=()
  mapfile -t rules
  # Insert in reverse so the final order matches the listing, all at the top of the chain.
  local i
  for ((i = ${#rules[@]} - 1; i >= 0; i--)); do
    rule=${rules[i]}
    chain=${rule%% *}; rest=${rule#* }
    # shellcheck disable=SC2086
    if ! "${pre[@]}" iptables -w 10 -C "$chain" $rest 2>/dev/null; then
      # shellcheck disable=SC2086
      "${pre[@]}" iptables -w 10 -I "$chain" 1 $rest || die "iptables -I $rule failed"
    fi
  done
}

remove_host_rules() {
  local rule chain rest
  while read -r rule; do
    chain=${rule%% *}; rest=${rule#* }
    # shellcheck disable=SC2086
    while iptables -w 10 -C "$chain" $rest 2>/dev/null; do
      # shellcheck disable=SC2086
      iptables -w 10 -D "$chain" $rest
    done
  done < <(host_rules)
}

net_up() {
  # Refuse to shadow somebody else's network.
  if ip -4 route show "$BRIDGE_CIDR" | grep -qv "dev $BRIDGE"; then
    die "$BRIDGE_CIDR is already routed via another interface: $(ip -4 route show "$BRIDGE_CIDR")"
  fi
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "${BRIDGE_ADDR}/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  host_rules | ensure_rules

  local n ns hv
  for n in "${NODES[@]}"; do
    ns=$(ns_name "$n"); hv=$(host_veth "$n")
    if [[ ! -e $(ns_path "$n") ]]; then
      ip netns add "$ns"
    fi
    if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
      ip link del "$hv" 2>/dev/null || true          # stale host half of an earlier pair
      ip link add "$hv" type veth peer name "${hv}p"
      ip link set "${hv}p" netns "$ns"
      ip -n "$ns" link set "${hv}p" name eth0
    fi
    ip link set "$hv" master "$BRIDGE"
    ip link set "$hv" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$(node_addr "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$BRIDGE_ADDR" dev eth0
    ns_rules | ensure_rules nsenter --net="$(ns_path "$n")"
  done
  local n2
  for n in "${NODES[@]}"; do
    wait_until 10 "node $n reaching the bridge address $BRIDGE_ADDR" \
      nsenter --net="$(ns_path "$n")" busybox ping -c1 -W1 "$BRIDGE_ADDR"
  done
  for n in "${NODES[@]}"; do for n2 in "${NODES[@]}"; do
    [[ $n == "$n2" ]] && continue
    wait_until 10 "node $n reaching node $n2 ($(node_addr "$n2"))" \
      nsenter --net="$(ns_path "$n")" busybox ping -c1 -W1 "$(node_addr "$n2")"
  done; done
}

net_down() {
  local n
  for n in "${NODES[@]}"; do
    if [[ -e $(ns_path "$n") ]]; then
      ip netns del "$(ns_name "$n")" || log "could not delete netns $(ns_name "$n")"
    fi
    ip link del "$(host_veth "$n")" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  remove_host_rules
}

# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------
engine_pid() {
  local f; f=$(pid_file "$1")
  [[ -s $f ]] || return 1
  local pid; pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # The pid must still be a dockerd using our socket (pid files survive crashes).
  local cmd; cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmd == *"$(sock_path "$1")"* ]] || return 1
  echo "$pid"
}

engine_running() { engine_pid "$1" >/dev/null; }
engine_answers() { dk "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_engine() {
  local n=$1
  [[ -e $(ns_path "$n") ]] || die "namespace $(ns_name "$n") is missing: run 'testbed.sh up' first"
  if engine_running "$n"; then
    wait_until 60 "dockerd of node $n to answer on $(sock_path "$n") (see $(log_file "$n"))" engine_answers "$n"
    return 0
  fi
  mkdir -p "$(run_dir "$n")" "$(data_root "$n")" "$(exec_root "$n")"
  rm -f "$(pid_file "$n")" "$(sock_path "$n")"
  # Own config file: never pick up /etc/docker/daemon.json. Own key file: with the default
  # /etc/docker/key.json every engine on the machine would report the same engine ID.
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$(data_root "$n")" >"$(run_dir "$n")/daemon.json"
  local -a args=(
    --data-root "$(data_root "$n")"
    --exec-root "$(exec_root "$n")"
    --pidfile "$(pid_file "$n")"
    -H "unix://$(sock_path "$n")"
    --config-file "$(run_dir "$n")/daemon.json"
    --bip "$(bip "$n")"
    --default-address-pool "$(local_pool "$n")"
    --cgroup-parent "$(cgroup_parent "$n")"
    --containerd-namespace "$(ctrd_ns "$n")"
    --containerd-plugins-namespace "$(ctrd_ns "$n")-plugins"
    --dns "$BRIDGE_ADDR"
    --shutdown-timeout 5
  )
  log "starting dockerd of node $n (hostname $(node_host "$n"), log $(log_file "$n"))"
  {
    printf '\n==== %s testbed.sh start node %s ====\n' "$(date -Is)" "$n"
  } >>"$(log_file "$n")"
  # nsenter --net (NOT ip netns exec, which remounts /sys and breaks dockerd's cgroup detection),
  # unshare --uts so that the engine - and so the swarm node - gets its own hostname.
  # setsid + redirections: the engine must not hold our stdout/stderr or the lock fd.
  setsid nsenter --net="$(ns_path "$n")" unshare --uts -- \
    sh -c 'echo "$1" >/proc/sys/kernel/hostname && shift && exec dockerd "$@"' sh "$(node_host "$n")" "${args[@]}" \
    </dev/null >>"$(log_file "$n")" 2>&1 9>&- &
  local launcher=$!
  local deadline=$((SECONDS + 60))
  until engine_answers "$n"; do
    if ! kill -0 "$launcher" 2>/dev/null && ! engine_running "$n"; then
      tail -n 30 "$(log_file "$n")" >&2 || true
      die "dockerd of node $n exited during start-up (log: $(log_file "$n"))"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$(log_file "$n")" >&2 || true
      die "timed out after 60s waiting for dockerd of node $n on $(sock_path "$n") (log: $(log_file "$n"))"
    fi
    sleep 0.5
  done
}

# Processes that belong to node N besides dockerd, printed as PIDs.
#   node_leftover_pids N daemons     its managed containerd and the containerd shims
#   node_leftover_pids N containers  container processes, found through the node's own cgroup parent
node_leftover_pids() {
  local n=$1 kind=$2 pid cmd f
  if [[ $kind == containers ]]; then
    for f in /sys/fs/cgroup/pids/"$(cgroup_parent "$n")"/*/cgroup.procs \
             /sys/fs/cgroup/memory/"$(cgroup_parent "$n")"/*/cgroup.procs \
             /sys/fs/cgroup/"$(cgroup_parent "$n")"/*/cgroup.procs \
             /sys/fs/cgroup/unified/"$(cgroup_parent "$n")"/*/cgroup.procs; do
      [[ -r $f ]] && cat "$f"
    done
    return 0
  fi
  local ctrd_pid_file; ctrd_pid_file="$(exec_root "$n")/containerd/containerd.pid"
  if [[ -s $ctrd_pid_file ]]; then
    pid=$(<"$ctrd_pid_file")
    if [[ $pid =~ ^[0-9]+$ ]]; then
      cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || cmd=
      [[ $cmd == *"$(exec_root "$n")/"* ]] && echo "$pid"
    fi
  fi
  # One grep over every command line (a tr per process takes a minute on a busy host).
  while read -r f; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
    case $cmd in
      *containerd-shim*"$(exec_root "$n")/"*) pid=${f#/proc/}; echo "${pid%/cmdline}" ;;
    esac
  done < <(grep -lasF -- containerd-shim /proc/[0-9]*/cmdline)
  return 0
}

# end_pids N WHAT FIRST_SIGNAL PID...: signal, wait up to 5 s, SIGKILL, wait up to 10 s.
end_pids() {
  local n=$1 what=$2 sig=$3; shift 3
  (($#)) || return 0
  log "node $n: ending leftover $what $*"
  kill_pids "$sig" "$@"
  local deadline=$((SECONDS + 5))
  while pids_alive "$@" && ((SECONDS < deadline)); do sleep 0.2; done
  kill_pids KILL "$@"
  deadline=$((SECONDS + 10))
  while pids_alive "$@"; do
    ((SECONDS < deadline)) || die "node $n: $what $* survive SIGKILL"
    sleep 0.2
  done
}

# kill_pids SIGNAL PID...  (by id only)
kill_pids() {
  local sig=$1; shift
  local p
  for p in "$@"; do kill "-$sig" "$p" 2>/dev/null || true; done
}

pid_dead() { ! kill -0 "$1" 2>/dev/null; }

pids_alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

# stop_engine N [kill]
stop_engine() {
  local n=$1 mode=${2:-term} pid
  if pid=$(engine_pid "$n"); then
    if [[ $mode == kill ]]; then
      log "killing dockerd of node $n (pid $pid, SIGKILL)"
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 10 "dockerd of node $n (pid $pid) to die after SIGKILL" pid_dead "$pid"
      return 0
    fi
    log "stopping dockerd of node $n (pid $pid, SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 45))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "dockerd of node $n still running 45 s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 10 "dockerd of node $n (pid $pid) to die after SIGKILL" pid_dead "$pid"
        break
      fi
      sleep 0.5
    done
  fi
}

# Everything of node N gone: engine, containerd, shims, containers, mounts, state.
purge_node() {
  local n=$1
  stop_engine "$n" term
  # After a SIGKILLed engine, containers and shims live on. Containers first (their stop signal
  # would be ignored by many a PID 1), then the shims and containerd.
  local -a left
  mapfile -t left < <(node_leftover_pids "$n" containers | sort -u)
  end_pids "$n" "container processes" KILL "${left[@]}"
  mapfile -t left < <(node_leftover_pids "$n" daemons | sort -u)
  end_pids "$n" "containerd/shim processes" TERM "${left[@]}"
  # Mounts the engine left behind (netns bind mounts, overlay2, shm), deepest first.
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done < <(awk '{print $5}' /proc/self/mountinfo \
            | grep -E "^($(run_dir "$n")|$(data_root "$n"))(/|$)" | sort -r)
  rm -rf "$(run_dir "$n")" "$(data_root "$n")"
  local cg
  for cg in /sys/fs/cgroup/*/"$(cgroup_parent "$n")" /sys/fs/cgroup/"$(cgroup_parent "$n")"; do
    [[ -d $cg ]] || continue
    find "$cg" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$cg" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------------------------------------
# Swarm
# ---------------------------------------------------------------------------------------------
swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }
node_id()     { dk "$1" info --format '{{.Swarm.NodeID}}' 2>/dev/null; }

# First running engine that can answer manager queries (has quorum), or nothing.
any_manager() {
  local n
  for n in "${NODES[@]}"; do
    engine_running "$n" || continue
    if DK_TIMEOUT=10 dk "$n" node ls -q >/dev/null 2>&1; then echo "$n"; return 0; fi
  done
  return 1
}

# Lines "ID HOSTNAME STATE LEADER ADDR" for every node, from manager M.
node_table() {
  local m=$1
  local ids; ids=$(DK_TIMEOUT=10 dk "$m" node ls -q) || return 1
  # shellcheck disable=SC2086
  DK_TIMEOUT=10 dk "$m" node inspect $ids --format \
    '{{.ID}} {{.Description.Hostname}} {{.Status.State}} {{if .ManagerStatus}}{{.ManagerStatus.Leader}} {{.ManagerStatus.Reachability}} {{.ManagerStatus.Addr}}{{else}}false worker {{.Status.Addr}}{{end}}'
}

# Node number from "10.213.0.1N:2377" or "10.213.0.1N".
addr_to_node() {
  local a=${1%:*}
  case $a in
    "${NET_PREFIX}.11") echo 1 ;; "${NET_PREFIX}.12") echo 2 ;; "${NET_PREFIX}.13") echo 3 ;;
    *) return 1 ;;
  esac
}

leader_node() {
  local m id host state leader reach addr
  m=$(any_manager) || return 1
  while read -r id host state leader reach addr; do
    if [[ $leader == true ]]; then addr_to_node "$addr"; return $?; fi
  done < <(node_table "$m")
  return 1
}

# node N is Ready and a reachable manager, seen from another manager with quorum.
node_ready_in_swarm() {
  local n=$1 want m id host state leader reach addr
  want=$(node_id "$n") || return 1
  [[ -n $want ]] || return 1
  m=$(any_manager) || return 1
  while read -r id host state leader reach addr; do
    [[ $id == "$want" && $state == ready && $reach == reachable ]] && return 0
  done < <(node_table "$m")
  return 1
}

all_ready() {
  local n
  for n in "${NODES[@]}"; do node_ready_in_swarm "$n" || return 1; done
  leader_node >/dev/null
}

control_available() { [[ $(DK_TIMEOUT=10 dk "$1" info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null) == true ]]; }

swarm_up() {
  local st
  st=$(swarm_state 1) || die "node 1 does not answer"
  case $st in
    active) ;;
    inactive)
      log "node 1: swarm init"
      dk 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" \
        --default-addr-pool "$SWARM_POOL" --default-addr-pool-mask-length "$SWARM_POOL_MASK" >/dev/null \
        || die "swarm init on node 1 failed"
      ;;
    *) die "node 1 is in swarm state '$st'; run 'testbed.sh down' and 'up' again" ;;
  esac
  wait_until 60 "node 1 to be an active swarm manager" control_available 1
  local token n
  for n in 2 3; do
    st=$(swarm_state "$n") || die "node $n does not answer"
    case $st in
      active) continue ;;
      inactive) ;;
      *) die "node $n is in swarm state '$st'; run 'testbed.sh down' and 'up' again" ;;
    esac
    token=$(DK_TIMEOUT=20 dk 1 swarm join-token -q manager) || die "cannot get the manager join token from node 1"
    log "node $n: swarm join as manager"
    DK_TIMEOUT=120 dk "$n" swarm join --token "$token" --advertise-addr "$(node_addr "$n")" \
      --listen-addr "$(node_addr "$n"):2377" "$(node_addr 1):2377" >/dev/null \
      || die "node $n could not join the swarm (log: $(log_file "$n"))"
  done
  wait_until 120 "all three nodes Ready and reachable managers with a leader" all_ready
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_up() {
  need_root; take_lock
  local t0=$SECONDS
  ensure_packages
  modprobe br_netfilter 2>/dev/null || true
  modprobe vxlan 2>/dev/null || true
  net_up
  local n
  for n in "${NODES[@]}"; do start_engine "$n"; done
  swarm_up
  log "testbed up in $((SECONDS - t0)) s; leader is node $(leader_node)"
}

cmd_down() {
  need_root; take_lock
  local n
  # Stop all engines first (in parallel they would each wait for quorum-less managers anyway).
  for n in "${NODES[@]}"; do stop_engine "$n" term & done
  wait
  for n in "${NODES[@]}"; do purge_node "$n"; done
  net_down
  rmdir "$DATA_BASE" 2>/dev/null || true
  log "testbed down"
}

cmd_status() {
  local n pid
  for n in "${NODES[@]}"; do
    if pid=$(engine_pid "$n"); then
      if engine_answers "$n"; then
        echo "node $n: $(node_host "$n") $(node_addr "$n") dockerd pid $pid, swarm $(swarm_state "$n" || echo '?'), id $(node_id "$n" || echo '?')"
      else
        echo "node $n: dockerd pid $pid NOT answering on $(sock_path "$n")"
      fi
    else
      echo "node $n: engine stopped"
    fi
  done
  local m
  if m=$(any_manager); then
    echo "--- docker node ls (from node $m)"
    DK_TIMEOUT=10 dk "$m" node ls
    local l
    if l=$(leader_node); then echo "leader: node $l ($(node_host "$l"))"; else echo "leader: none"; fi
  else
    echo "no manager answers (testbed down, or no quorum)"
    return 1
  fi
}

cmd_leader() {
  leader_node || die "no leader (testbed down, or no quorum)"
}

cmd_load_images() {
  need_root
  local -a images=("$@")
  ((${#images[@]})) || images=("${DEFAULT_IMAGES[@]}")
  local img n
  local -a want=() targets=()
  for n in "${NODES[@]}"; do
    engine_running "$n" && targets+=("$n")
  done
  ((${#targets[@]})) || die "no node engine is running: run 'testbed.sh up' first"
  for img in "${images[@]}"; do
    local id
    id=$(dk_host image inspect --format '{{.Id}}' "$img" 2>/dev/null) \
      || die "image $img not found on the host test engine ($HOST_TEST_DOCKER_HOST)"
    for n in "${targets[@]}"; do
      if [[ $(dk "$n" image inspect --format '{{.Id}}' "$img" 2>/dev/null) != "$id" ]]; then
        want+=("$img"); break
      fi
    done
  done
  if ((${#want[@]} == 0)); then
    log "nodes ${targets[*]} already have ${images[*]}"
    return 0
  fi
  IMAGES_TAR=$(mktemp /tmp/sb-e2e-images.XXXXXX.tar)
  trap 'rm -f "$IMAGES_TAR"' EXIT
  local tar=$IMAGES_TAR
  log "saving ${want[*]} from the host test engine"
  dk_host save -o "$tar" "${want[@]}" || die "docker save ${want[*]} failed"
  local -a pids=()
  for n in "${targets[@]}"; do
    DK_TIMEOUT=300 dk "$n" load -q -i "$tar" >/dev/null & pids+=($!)
  done
  local i rc=0
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || { log "docker load into node ${targets[i]} failed"; rc=1; }
  done
  ((rc == 0)) || die "loading images failed"
  log "loaded ${want[*]} into nodes ${targets[*]}"
}

cmd_stop_node() {
  need_root
  local n=${1:-} mode=term
  check_node_arg "$n"
  [[ ${2:-} == --kill ]] && mode=kill
  take_lock
  if ! engine_running "$n"; then log "node $n is already stopped"; return 0; fi
  stop_engine "$n" "$mode"
}

cmd_start_node() {
  need_root
  local n=${1:-}
  check_node_arg "$n"
  take_lock
  start_engine "$n"
  wait_until 120 "node $n to be back in the swarm as Ready and a reachable manager" node_ready_in_swarm "$n"
  log "node $n is Ready; leader is node $(leader_node || echo '?')"
}

cmd_env() {
  local n=${1:-}
  check_node_arg "$n"
  echo "export DOCKER_HOST=unix://$(sock_path "$n")"
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    leader) cmd_leader ;;
    load-images) cmd_load_images "$@" ;;
    stop-node) cmd_stop_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    env) cmd_env "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
