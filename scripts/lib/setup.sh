# Sourced by scripts/test, scripts/demo and scripts/switchgate.
# Installs what SwitchGate needs on a fresh Debian machine (as root), starts
# Open vSwitch's daemons with the userspace datapath, and builds the solution.
set -euo pipefail

SG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SG_ROOT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SG_APT_PACKAGES=(openvswitch-switch openvswitch-testcontroller swtpm swtpm-tools tpm2-tools
  tshark iproute2 iputils-ping libpcap0.8 procps ethtool)

sg_log() { printf '[switchgate] %s\n' "$*" >&2; }

sg_install_packages() {
  local missing=()
  for p in "${SG_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sg_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { sg_log "dotnet SDK not found on PATH"; exit 1; }
}

# Open vSwitch without its kernel module: ovsdb-server + ovs-vswitchd, bridges
# must use datapath_type=netdev (see shared/design/FIELD-NOTES.md).
sg_start_ovs() {
  timeout 5 ovs-vsctl --timeout=3 show >/dev/null 2>&1 && return 0
  sg_log "starting Open vSwitch daemons (userspace datapath)"
  local rundir=/var/run/openvswitch attempt daemon pidfile
  for attempt in 1 2 3; do
    # Daemons that were killed (not stopped) leave pidfiles behind, and ovs-ctl then gives up
    # trying to reach them: drop pidfiles whose process is gone.
    for daemon in ovsdb-server ovs-vswitchd; do
      pidfile="$rundir/$daemon.pid"
      if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
        rm -f "$pidfile"
      fi
    done
    /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random --no-monitor >/dev/null 2>&1 || true
    timeout 10 ovs-vsctl --timeout=5 show >/dev/null 2>&1 && return 0
    sleep 1
  done
  sg_log "Open vSwitch did not start (see /var/log/openvswitch/)"
  return 1
}

sg_build() {
  sg_log "building"
  dotnet build "$SG_ROOT/SwitchGate.sln" -c Release -nologo -v quiet -clp:ErrorsOnly "$@"
}
