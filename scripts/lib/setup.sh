# Sourced by scripts/test, scripts/demo and scripts/switchgate.
# Installs what SwitchGate needs on a fresh Debian machine (as root), starts
# Open vSwitch's daemons with the userspace datapath, and builds the solution.
set -euo pipefail

SG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SG_ROOT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The dashboard test drives the system chromium (Debian package); Playwright must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

SG_APT_PACKAGES=(openvswitch-switch openvswitch-testcontroller swtpm swtpm-tools tpm2-tools
  tshark iproute2 iputils-ping libpcap0.8 procps ethtool afl++
  qemu-system-x86 qemu-utils cpio busybox-static curl chromium)

sg_log() { printf '[switchgate] %s\n' "$*" >&2; }

# shellcheck source=guest.sh
source "$SG_ROOT/scripts/lib/guest.sh"

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
  sg_install_dotnet || exit 1
}

# True when `dotnet` (or PREFIX/…/dotnet) runs and lists a .NET 10 SDK (global.json rolls forward
# to any 10.0.x feature band).
sg_have_dotnet_sdk() {
  local dotnet="${1:-dotnet}"
  command -v "$dotnet" >/dev/null 2>&1 && "$dotnet" --list-sdks 2>/dev/null | grep -q '^10\.'
}

# The .NET 10 SDK when `dotnet` is missing. Of the registries reachable from our machines (Debian,
# NuGet, npm) only an APT source can carry a whole SDK: Debian 12 itself does not package .NET, but
# Ubuntu (universe, package dotnet-sdk-10.0) and Microsoft's package feed for Debian do, under that
# name. NuGet has the runtime and targeting packs but not the SDK (MSBuild's SDK targets, the CLI),
# and npm has none. Without such a source this fails with a message saying so.
#   sg_install_dotnet           install system-wide with apt-get (no-op when the SDK is there)
#   sg_install_dotnet PREFIX    only download the packages and unpack them below PREFIX, leaving the
#                               system untouched (used to test this path); prints PREFIX's dotnet
sg_install_dotnet() {
  local prefix="${1:-}" package="${SG_DOTNET_APT_PACKAGE:-dotnet-sdk-10.0}" candidate
  if [[ -z "$prefix" ]] && sg_have_dotnet_sdk; then return 0; fi
  candidate="$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [[ -z "$candidate" || "$candidate" == "(none)" ]]; then
    apt-get update -qq >/dev/null 2>&1 || true
    candidate="$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  fi
  if [[ -z "$candidate" || "$candidate" == "(none)" ]]; then
    sg_log "the .NET 10 SDK is missing and no APT source offers $package (Debian 12 does not package .NET;"
    sg_log "add Microsoft's package feed for Debian, or install the SDK so that 'dotnet' is on PATH)"
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$prefix" ]]; then
    sg_log "installing $package $candidate"
    apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    sg_have_dotnet_sdk || { sg_log "$package installed but 'dotnet --list-sdks' shows no 10.0 SDK"; return 1; }
    return 0
  fi
  local debs="$prefix/debs" deb
  mkdir -p "$debs" "$prefix/root"
  # --download-only resolves the dependencies this machine lacks without installing anything.
  apt-get install -y -qq --no-install-recommends --download-only --reinstall \
    -o Dir::Cache::archives="$debs" -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$package" >/dev/null
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$prefix/root"; done
  find "$prefix/root" -name dotnet -type f -perm -u+x -print -quit
}

# Open vSwitch without its kernel module: ovsdb-server + ovs-vswitchd, bridges
# must use datapath_type=netdev (docs/topology.md).
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
