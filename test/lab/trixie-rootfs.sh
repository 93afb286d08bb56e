#!/usr/bin/env bash
# Builds the Debian 13 "trixie" root filesystem the lab's trixie hosts run on (PostgreSQL 17,
# pgBackRest 2.55), from Debian's own packages with mmdebstrap.
#
#   trixie-rootfs.sh          build it unless it is complete and its recipe is unchanged; print its path
#   trixie-rootfs.sh path     print where it is (built or not)
#   trixie-rootfs.sh check    exit 0 if it is complete and current, 1 if not
#
# The rootfs is kept in the lab's cache, which `lab down` leaves alone:
# $BSYNC_LAB_CACHE (default /var/cache/bsync-lab)/trixie-rootfs, with its recipe (suite,
# mirrors, package list) in trixie-rootfs/.bsync-rootfs-stamp. It is built into a temporary
# folder beside it and renamed into place with the stamp already in it, so an interrupted
# build never looks complete. A second run with the same recipe does nothing (about 0 s).
# See docs/lab.md.
set -euo pipefail

TRIXIE_CACHE=${BSYNC_LAB_CACHE:-/var/cache/bsync-lab}
TRIXIE_ROOTFS=$TRIXIE_CACHE/trixie-rootfs
TRIXIE_STAMP_NAME=.bsync-rootfs-stamp
TRIXIE_MIRROR=${BSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TRIXIE_SECURITY_MIRROR=${BSYNC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the build steps below change in a way the package list does not show.
TRIXIE_RECIPE=1

# What an sshd + PostgreSQL + pgBackRest + cron host needs, on top of Debian's essential set
# and apt (mmdebstrap's `apt` variant; no Recommends). sudo: bsync reaches root through it when
# the SSH user is not root. lz4, zstd: pgBackRest's compressors as tools.
TRIXIE_PACKAGES="openssh-server openssh-client postgresql-17 postgresql-client-17 postgresql-common
pgbackrest cron procps iproute2 util-linux ca-certificates openssl curl python3 sudo lz4 zstd
netbase tzdata less"

trixie_log() { printf '[trixie-rootfs] %s\n' "$*" >&2; }

trixie_recipe() {
  printf 'recipe %s\nsuite trixie\nmirror %s\nsecurity %s\npackages %s\n' \
    "$TRIXIE_RECIPE" "$TRIXIE_MIRROR" "$TRIXIE_SECURITY_MIRROR" "$(echo "$TRIXIE_PACKAGES" | tr -s ' ' '\n' | sort -u | tr '\n' ' ')"
}

trixie_rootfs_current() {
  [ -f "$TRIXIE_ROOTFS/$TRIXIE_STAMP_NAME" ] && [ "$(cat "$TRIXIE_ROOTFS/$TRIXIE_STAMP_NAME")" = "$(trixie_recipe)" ]
}

trixie_build() ( # a subshell: the lock (fd 9) ends with it
  [ "$(id -u)" -eq 0 ] || { echo "trixie-rootfs: needs root (mmdebstrap in root mode)" >&2; exit 1; }
  mkdir -p "$TRIXIE_CACHE"
  exec 9>"$TRIXIE_CACHE/trixie-rootfs.lock"
  flock 9 # one build at a time: hosts started in parallel wait for the same build
  if trixie_rootfs_current; then echo "$TRIXIE_ROOTFS"; return 0; fi
  command -v mmdebstrap >/dev/null || {
    trixie_log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >/dev/null
  }
  # Under the lock, any earlier temporary folder is from an interrupted build.
  find "$TRIXIE_CACHE" -maxdepth 1 -name '.trixie-rootfs.build.*' -exec rm -rf --one-file-system {} +
  local tmp=$TRIXIE_CACHE/.trixie-rootfs.build.$$ start=$SECONDS packages
  packages=$(echo "$TRIXIE_PACKAGES" | tr -s ' \n' ',' | sed 's/,$//')
  trixie_log "building Debian 13 (trixie) into $tmp"
  # In a private mount namespace: the /proc, /sys and /dev mmdebstrap mounts in the target end
  # with it, even if the build is killed.
  # Essential hook (after the essential set, before the packages): postgresql-common reads
  # createcluster.d when postgresql-17 is configured, so no default cluster is made.
  # shellcheck disable=SC2016 # $1 is the hook's argument, expanded by mmdebstrap's shell
  unshare --mount --propagation private -- mmdebstrap --mode=root --variant=apt --components=main \
    --aptopt='Acquire::Retries "3"' \
    --include="$packages" \
    --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && printf "# bsync lab: no cluster at install\ncreate_main_cluster = false\n" > "$1/etc/postgresql-common/createcluster.d/00-bsync-lab.conf"' \
    trixie "$tmp" \
    "deb $TRIXIE_MIRROR trixie main" \
    "deb $TRIXIE_MIRROR trixie-updates main" \
    "deb $TRIXIE_SECURITY_MIRROR trixie-security main" >&2
  # Daemons are the lab's to start: apt in a host never starts one (mmdebstrap removes its own
  # policy-rc.d when it is done, so this one is written after).
  printf '#!/bin/sh\n# bsync lab: the lab starts daemons itself\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  # Each host gets its own SSH host keys, hostname and hosts file.
  rm -f "$tmp"/etc/ssh/ssh_host_*
  echo trixie > "$tmp/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
  : > "$tmp/etc/machine-id"
  if [ -d "$tmp/etc/postgresql/17" ]; then echo "trixie-rootfs: a cluster was made at install" >&2; exit 1; fi
  trixie_recipe > "$tmp/$TRIXIE_STAMP_NAME"
  if [ -e "$TRIXIE_ROOTFS" ]; then
    # Running hosts keep the old tree as their lower folder until it is deleted: stop them first.
    mv "$TRIXIE_ROOTFS" "$TRIXIE_CACHE/.trixie-rootfs.build.old.$$"
    rm -rf --one-file-system "$TRIXIE_CACHE/.trixie-rootfs.build.old.$$"
  fi
  mv "$tmp" "$TRIXIE_ROOTFS"
  trixie_log "built in $((SECONDS - start)) s: $(du -sh --one-file-system "$TRIXIE_ROOTFS" | cut -f1) in $TRIXIE_ROOTFS"
  echo "$TRIXIE_ROOTFS"
)

# Sourced (by trixie-host.sh or lab.sh): define only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-build}" in
    build) trixie_build ;;
    path) echo "$TRIXIE_ROOTFS" ;;
    check) trixie_rootfs_current ;;
    *) echo "usage: trixie-rootfs.sh [build | path | check]" >&2; exit 1 ;;
  esac
fi
