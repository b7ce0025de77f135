# shellcheck shell=bash
# Shared by the packaging tests that need a clean Debian 12 root: finding
# the mirror, the cached debootstrap tarball, and a throw-away root with
# /proc and the apt archive cache mounted. Source it; it defines functions
# only. Every function that fails prints why.

# Exit code ctest reports as "skipped" (SKIP_RETURN_CODE).
readonly kSkip=77

DEBIAN_SUITE=bookworm
# The root is what debootstrap gives plus systemd (a register boots with it,
# and systemd-analyze and the service test need it) and man-db (so that
# `systemd-analyze verify` can check the unit's Documentation= man page).
DEBIAN_INCLUDE=systemd,systemd-sysv,man-db

# The URI apt uses on this machine for a suite ("bookworm",
# "bookworm-security"), from /etc/apt/sources.list* in one-line or deb822
# format; prints nothing when no source names the suite.
apt_source_uri() {
  local suite="$1" uri
  uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$suite" '$1 == "deb" {
      for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) {u = $i; s = $(i + 1); break}
      if (s == suite) {print u; exit}
    }')"
  if [ -z "$uri" ]; then
    uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$suite" '
      BEGIN {RS = ""}
      {
        uris = ""; hit = 0
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^URIs:/) {split(lines[i], f, /[ \t]+/); uris = f[2]}
          if (lines[i] ~ /^Suites:/) {
            m = split(lines[i], f, /[ \t]+/)
            for (j = 2; j <= m; j++) if (f[j] == suite) hit = 1
          }
        }
        if (hit && uris != "") {print uris; exit}
      }')"
  fi
  echo "$uri"
}

# The Debian archive apt uses here (TILLBRIDGE_DEBIAN_MIRROR overrides it)
# and its security archive.
debian_mirror() {
  local uri="${TILLBRIDGE_DEBIAN_MIRROR:-$(apt_source_uri "$DEBIAN_SUITE")}"
  echo "${uri:-http://deb.debian.org/debian}"
}
debian_security_mirror() {
  local uri="${TILLBRIDGE_DEBIAN_SECURITY_MIRROR:-$(apt_source_uri "$DEBIAN_SUITE-security")}"
  echo "${uri:-http://deb.debian.org/debian-security}"
}

require_root_tools() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (debootstrap, chroot and mounts)"
    exit "$kSkip"
  fi
  local tool
  for tool in debootstrap chroot mount zstd; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIP: $tool is not installed (scripts/install-deps.sh test installs it)"
      exit "$kSkip"
    fi
  done
}

# Path of the cached root tarball for this mirror and package set.
root_tarball_path() {
  local cache="$1" mirror key
  mirror="$(debian_mirror)"
  key="$(printf '%s %s %s' "$DEBIAN_SUITE" "$DEBIAN_INCLUDE" "$mirror" | sha256sum | cut -c1-12)"
  echo "$cache/debian-$DEBIAN_SUITE-minbase-$key.tar.zst"
}

# Unmounts everything below $1, deepest first.
unmount_below() {
  local root="$1" target
  [ -d "$root" ] || return 0
  root="$(cd "$root" && pwd -P)"
  for target in $(awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts |
                  sort -r); do
    umount "$target" 2>/dev/null || umount -l "$target"
  done
}

# Deletes a root made by make_root, never crossing into a mount.
remove_root() {
  local root="$1"
  unmount_below "$root"
  if awk -v r="$(cd "$root" 2>/dev/null && pwd -P)" 'index($2, r "/") == 1 {found = 1} END {exit !found}' \
       /proc/mounts; then
    echo "refusing to delete $root: something is still mounted below it" >&2
    return 1
  fi
  rm -rf --one-file-system "$root"
}

# Extracts the cached tarball into $2, mounts /proc and the shared apt
# archive cache ($1/apt-archives) and refreshes the package lists (a failed
# refresh keeps the cached lists, so a run without network can still pass
# when the packages are cached).
make_root() {
  local cache="$1" root="$2" tarball
  tarball="$(root_tarball_path "$cache")"
  [ -f "$tarball" ] || { echo "no cached root at $tarball" >&2; return 1; }
  mkdir -p "$root" "$cache/apt-archives/partial"
  tar --zstd --numeric-owner -xpf "$tarball" -C "$root"
  mount -t proc proc "$root/proc"
  mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  if ! chroot "$root" apt-get update -qq >/dev/null 2>&1; then
    echo "note: apt-get update failed (offline?); using the cached package lists"
  fi
}

# Runs a command in the root with a non-interactive apt/dpkg that keeps the
# operator's version of a changed conffile, as docs/install.md tells IT.
in_root() {
  local root="$1"
  shift
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    LC_ALL=C.UTF-8 HOME=/root "$@"
}

apt_install() {  # apt_install ROOT ARGS...: apt-get install with the unattended options
  local root="$1"
  shift
  in_root "$root" apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
