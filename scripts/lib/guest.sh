# Sourced by scripts/lib/setup.sh. sg_build_guest builds the test guest from Debian packages only — a Debian
# kernel (linux-image-*-amd64) and a busybox-static initramfs whose /init prints the boot marker and then a
# counter on ttyS0 — caches it in $SG_GUEST_CACHE (default /var/cache/switchgate/guest) with a manifest of
# SHA-256s, and prints that directory. A valid cache is reused without touching the network.

SG_GUEST_CACHE="${SG_GUEST_CACHE:-/var/cache/switchgate/guest}"
SG_GUEST_MARKER=SWITCHGATE-GUEST-BOOTED
# no_timer_check: under TCG on a loaded host the kernel's early check of the timer interrupt can miss its
# window and panic ("IO-APIC + timer doesn't work"); the check is for broken hardware, not for QEMU's timer.
SG_GUEST_CMDLINE="console=ttyS0 quiet no_timer_check"
# The cache layout's version: a cache of another version is rebuilt.
SG_GUEST_FORMAT=3

# The guest's /init. It prints the PCI function count with every counter line so that a test can see
# a hot-unplugged device disappear from inside the guest. Changing it changes init_sha256: the cache rebuilds.
sg_guest_init() {
  cat <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Without /dev/console in the archive the kernel starts init with no stdio: take ttyS0 explicitly.
exec </dev/ttyS0 >/dev/ttyS0 2>&1
echo $SG_GUEST_MARKER
n=0
while :; do
  n=\$((n + 1))
  set -- /sys/bus/pci/devices/*
  echo "counter=\$n pci=\$#"
  usleep 200000
done
INIT
}

sg_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Unpacks the ELF kernel (vmlinux) from a bzImage when it has a PVH entry point (Xen ELF note 18,
# XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's -kernel can start directly. Under TCG the bzImage's own xz
# decompression is most of the boot time (about 8 of 13 s on a loaded 2-core machine; the whole boot
# to the marker then takes 3-4 s).
sg_guest_unpack_kernel() {
  python3 - "$1" "$2" <<'PY'
import lzma, struct, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit(1)
elf = lzma.LZMADecompressor().decompress(data[start:])
if elf[:4] != b"\x7fELF" or elf[4] != 2:
    sys.exit(1)
phoff, = struct.unpack_from("<Q", elf, 0x20)
phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
pvh = False
for i in range(phnum):
    p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
    if p_type != 4:  # PT_NOTE
        continue
    pos, end = p_offset, p_offset + p_filesz
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
        name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
        pvh |= name == b"Xen" and ntype == 18
        pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
if not pvh:
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
}

# True when $1/manifest exists and the init and both files match their recorded SHA-256s.
sg_guest_valid() {
  local dir="$1" manifest="$1/manifest" init_sha
  [[ -f "$manifest" && -f "$dir/vmlinuz" && -f "$dir/initrd.img" ]] || return 1
  init_sha="$(sg_guest_init | sha256sum | cut -d' ' -f1)"
  grep -qx "format=$SG_GUEST_FORMAT" "$manifest" &&
    grep -qx "init_sha256=$init_sha" "$manifest" &&
    grep -qx "vmlinuz_sha256=$(sg_sha256 "$dir/vmlinuz")" "$manifest" &&
    grep -qx "initrd_sha256=$(sg_sha256 "$dir/initrd.img")" "$manifest" &&
    { ! grep -qx "kernel=vmlinux" "$manifest" || grep -qx "vmlinux_sha256=$(sg_sha256 "$dir/vmlinux")" "$manifest"; }
}

sg_build_guest() {
  local cache="$SG_GUEST_CACHE"
  if sg_guest_valid "$cache"; then
    echo "$cache"
    return 0
  fi
  mkdir -p "$cache"
  # A subshell, so that the scratch directory and the lock go away however the build ends. The lock keeps two
  # test runs from building into the same cache at once; the second finds the first one's result valid.
  (
    exec 9>"$cache/.lock"
    flock 9
    sg_guest_valid "$cache" && exit 0
    sg_log "building the test guest in $cache (Debian kernel + busybox-static initramfs)"
    _sg_build_guest_into "$cache"
  ) || return 1
  echo "$cache"
}

_sg_build_guest_into() {
  local cache="$1"
  for tool in apt-get apt-cache dpkg-deb cpio gzip sha256sum flock; do
    command -v "$tool" >/dev/null || { sg_log "sg_build_guest needs $tool"; return 1; }
  done
  local work kernel_pkg kernel_ver busybox_ver
  work="$(mktemp -d /tmp/sg-guest.XXXXXX)"
  # Expanded now: the trap runs after this function's locals are gone.
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  # The kernel the linux-image-amd64 metapackage currently points at (e.g. linux-image-6.1.0-57-amd64).
  kernel_pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  if [[ -z "$kernel_pkg" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    kernel_pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  fi
  [[ -n "$kernel_pkg" ]] || { sg_log "no linux-image-*-amd64 package known to APT"; return 1; }
  # apt-get download writes into the current directory; _apt must be able to write there.
  chmod 0777 "$work"
  (cd "$work" && apt-get download -qq "$kernel_pkg" busybox-static 2>&1 | grep -v "unsandboxed" >&2 || true)
  local kernel_deb busybox_deb
  kernel_deb="$(ls "$work"/"$kernel_pkg"_*.deb 2>/dev/null | head -1)"
  busybox_deb="$(ls "$work"/busybox-static_*.deb 2>/dev/null | head -1)"
  [[ -f "$kernel_deb" && -f "$busybox_deb" ]] || { sg_log "apt-get download of $kernel_pkg busybox-static failed"; return 1; }
  kernel_ver="$(dpkg-deb -f "$kernel_deb" Version)"
  busybox_ver="$(dpkg-deb -f "$busybox_deb" Version)"
  dpkg-deb -x "$kernel_deb" "$work/kernel"
  dpkg-deb -x "$busybox_deb" "$work/busybox"

  local root="$work/root"
  mkdir -p "$root"/{bin,dev,proc,sys}
  install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
  sg_guest_init > "$root/init"
  chmod 0755 "$root/init"
  # A fixed timestamp and sorted names: the same packages give the same initramfs.
  find "$root" -exec touch -h -d @0 {} +
  (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -9) > "$work/initrd.img"
  cp "$(ls "$work"/kernel/boot/vmlinuz-* | head -1)" "$work/vmlinuz"
  sg_guest_unpack_kernel "$work/vmlinuz" "$work/vmlinux" ||
    sg_log "the kernel has no PVH entry point; the guest boots the compressed vmlinuz (slower under TCG)"

  mkdir -p "$cache"
  install -m 0644 "$work/vmlinuz" "$cache/vmlinuz.new"
  install -m 0644 "$work/initrd.img" "$cache/initrd.img.new"
  local kernel=vmlinuz
  if [[ -f "$work/vmlinux" ]]; then
    kernel=vmlinux
    install -m 0644 "$work/vmlinux" "$cache/vmlinux.new"
    mv -f "$cache/vmlinux.new" "$cache/vmlinux"
  fi
  mv -f "$cache/vmlinuz.new" "$cache/vmlinuz"
  mv -f "$cache/initrd.img.new" "$cache/initrd.img"
  {
    echo "format=$SG_GUEST_FORMAT"
    echo "kernel_package=$kernel_pkg $kernel_ver"
    echo "busybox_package=busybox-static $busybox_ver"
    echo "marker=$SG_GUEST_MARKER"
    echo "cmdline=$SG_GUEST_CMDLINE"
    echo "kernel=$kernel"
    echo "init_sha256=$(sg_guest_init | sha256sum | cut -d' ' -f1)"
    echo "vmlinuz_sha256=$(sg_sha256 "$cache/vmlinuz")"
    echo "initrd_sha256=$(sg_sha256 "$cache/initrd.img")"
    [[ "$kernel" == vmlinuz ]] || echo "${kernel}_sha256=$(sg_sha256 "$cache/$kernel")"
  } > "$cache/manifest.new"
  mv -f "$cache/manifest.new" "$cache/manifest"
  sg_guest_valid "$cache" || { sg_log "the guest just built in $cache does not match its manifest"; return 1; }
}
