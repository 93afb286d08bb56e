#!/usr/bin/env bash
# Builds the root filesystem of a generation of lab hosts from Debian's own packages, with
# mmdebstrap: trixie (Debian 13: PostgreSQL 17, pgBackRest 2.55) or forky (Debian's testing
# suite: PostgreSQL 18, pgBackRest 2.60, Patroni 4).
#
#   debian-rootfs.sh SUITE          build it unless it is complete and its recipe is unchanged; print its path
#   debian-rootfs.sh SUITE path     print where it is (built or not)
#   debian-rootfs.sh SUITE check    exit 0 if it is complete and current, 1 if not
#   debian-rootfs.sh SUITE versions the versions of the packages that matter, as the build got them
#
# The rootfs is kept in the lab's cache, which `lab down` leaves alone:
# $BSYNC_LAB_CACHE (default /var/cache/bsync-lab)/SUITE-rootfs, with its recipe (suite,
# mirrors, package list) in SUITE-rootfs/.bsync-rootfs-stamp. It is built into a temporary
# folder beside it and renamed into place with the stamp already in it, so an interrupted
# build never looks complete. A second run with the same recipe does nothing (about 0 s).
# See docs/lab.md.
set -euo pipefail

ROOTFS_CACHE=${BSYNC_LAB_CACHE:-/var/cache/bsync-lab}
ROOTFS_STAMP_NAME=.bsync-rootfs-stamp
ROOTFS_MIRROR=${BSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS_SECURITY_MIRROR=${BSYNC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the build steps below change in a way the package list does not show.
ROOTFS_RECIPE=1

rootfs_log() { printf '[%s-rootfs] %s\n' "$1" "$2" >&2; }
rootfs_die() { printf 'debian-rootfs: %s\n' "$*" >&2; exit 1; }

# The PostgreSQL major each suite carries.
rootfs_pg_version() { # suite
  case "$1" in
    trixie) echo 17 ;;
    forky) echo 18 ;;
    *) rootfs_die "no such generation of lab hosts: $1 (trixie or forky)" ;;
  esac
}

# What an sshd + PostgreSQL + pgBackRest + cron host needs, on top of Debian's essential set
# and apt (mmdebstrap's `apt` variant; no Recommends). sudo: bsync reaches root through it when
# the SSH user is not root. lz4, zstd: pgBackRest's compressors as tools. forky's hosts run
# Patroni 4 too, with python3-etcd (its etcd3 module is built on it) for the lab's etcd; mount (umount, which a host's
# first process needs) left forky's essential set.
rootfs_packages() { # suite
  local v
  v=$(rootfs_pg_version "$1")
  echo "openssh-server openssh-client postgresql-$v postgresql-client-$v postgresql-common
pgbackrest cron procps iproute2 util-linux ca-certificates openssl curl python3 sudo lz4 zstd
netbase tzdata less"
  if [ "$1" = forky ]; then echo "mount patroni python3-etcd python3-psycopg2"; fi
}

# Testing (forky) has no -updates suite and no security support of its own.
rootfs_sources() { # suite
  echo "deb $ROOTFS_MIRROR $1 main"
  if [ "$1" = trixie ]; then
    echo "deb $ROOTFS_MIRROR $1-updates main"
    echo "deb $ROOTFS_SECURITY_MIRROR $1-security main"
  fi
}

rootfs_dir() { echo "$ROOTFS_CACHE/$1-rootfs"; }

rootfs_recipe() { # suite
  printf 'recipe %s\nsuite %s\nsources %s\npackages %s\n' "$ROOTFS_RECIPE" "$1" "$(rootfs_sources "$1" | tr '\n' ' ')" \
    "$(rootfs_packages "$1" | tr -s ' \n' '\n' | sort -u | tr '\n' ' ')"
}

rootfs_current() { # suite
  local dir
  dir=$(rootfs_dir "$1")
  [ -f "$dir/$ROOTFS_STAMP_NAME" ] && [ "$(cat "$dir/$ROOTFS_STAMP_NAME")" = "$(rootfs_recipe "$1")" ]
}

# Testing moves: the versions a build got are recorded beside the stamp (docs/lab.md).
rootfs_versions() { # suite
  local dir
  dir=$(rootfs_dir "$1")
  [ -f "$dir/.bsync-rootfs-versions" ] || rootfs_die "$1's root filesystem is not built"
  cat "$dir/.bsync-rootfs-versions"
}

rootfs_build() ( # suite; a subshell: the lock (fd 9) ends with it
  local suite=$1 dir v
  dir=$(rootfs_dir "$suite")
  v=$(rootfs_pg_version "$suite")
  [ "$(id -u)" -eq 0 ] || rootfs_die "needs root (mmdebstrap in root mode)"
  mkdir -p "$ROOTFS_CACHE"
  exec 9>"$ROOTFS_CACHE/$suite-rootfs.lock"
  flock 9 # one build at a time: hosts started in parallel wait for the same build
  if rootfs_current "$suite"; then echo "$dir"; return 0; fi
  command -v mmdebstrap >/dev/null || {
    rootfs_log "$suite" "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >/dev/null
  }
  # Under the lock, any earlier temporary folder is from an interrupted build.
  find "$ROOTFS_CACHE" -maxdepth 1 -name ".$suite-rootfs.build.*" -exec rm -rf --one-file-system {} +
  local tmp=$ROOTFS_CACHE/.$suite-rootfs.build.$$ start=$SECONDS packages sources=()
  packages=$(rootfs_packages "$suite" | tr -s ' \n' ',' | sed 's/,$//')
  mapfile -t sources < <(rootfs_sources "$suite")
  local stale_ok=()
  if [ "$suite" = forky ]; then stale_ok=(--aptopt='Acquire::Check-Valid-Until "false"'); fi
  rootfs_log "$suite" "building Debian $suite into $tmp"
  # In a private mount namespace: the /proc, /sys and /dev mmdebstrap mounts in the target end
  # with it, even if the build is killed.
  # Essential hook (after the essential set, before the packages): postgresql-common reads
  # createcluster.d when postgresql-N is configured, so no default cluster is made.
  # shellcheck disable=SC2016 # $1 is the hook's argument, expanded by mmdebstrap's shell
  # A testing suite's Release file is valid for a week; the mirror this lab reaches may be a
  # copy older than that (seen: forky's, a month past its Valid-Until). It is still signed.
  unshare --mount --propagation private -- mmdebstrap --mode=root --variant=apt --components=main \
    --aptopt='Acquire::Retries "3"' \
    "${stale_ok[@]}" \
    --include="$packages" \
    --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && printf "# bsync lab: no cluster at install\ncreate_main_cluster = false\n" > "$1/etc/postgresql-common/createcluster.d/00-bsync-lab.conf"' \
    "$suite" "$tmp" "${sources[@]}" >&2 || {
    # A moving suite: a package the build needs may have moved on (renamed, removed, not installable).
    rootfs_die "the $suite build failed (above: apt's reason). For forky, Debian's testing suite: a package it needs may have moved on; see docs/lab.md"
  }
  # Daemons are the lab's to start: apt in a host never starts one (mmdebstrap removes its own
  # policy-rc.d when it is done, so this one is written after).
  printf '#!/bin/sh\n# bsync lab: the lab starts daemons itself\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  # Each host gets its own SSH host keys, hostname and hosts file.
  rm -f "$tmp"/etc/ssh/ssh_host_*
  echo "$suite" > "$tmp/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
  : > "$tmp/etc/machine-id"
  if [ -d "$tmp/etc/postgresql/$v" ]; then rootfs_die "$suite: a cluster was made at install"; fi
  chroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' "postgresql-$v" pgbackrest openssh-server cron python3 \
    $([ "$suite" = forky ] && echo patroni) > "$tmp/.bsync-rootfs-versions"
  rootfs_recipe "$suite" > "$tmp/$ROOTFS_STAMP_NAME"
  if [ -e "$dir" ]; then
    # Running hosts keep the old tree as their lower folder until it is deleted: stop them first.
    mv "$dir" "$ROOTFS_CACHE/.$suite-rootfs.build.old.$$"
    rm -rf --one-file-system "$ROOTFS_CACHE/.$suite-rootfs.build.old.$$"
  fi
  mv "$tmp" "$dir"
  rootfs_log "$suite" "built in $((SECONDS - start)) s: $(du -sh --one-file-system "$dir" | cut -f1) in $dir; $(tr '\n' ' ' < "$dir/.bsync-rootfs-versions")"
  echo "$dir"
)

# Sourced (by debian-host.sh or lab.sh): define only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -ge 1 ] || rootfs_die "usage: debian-rootfs.sh trixie|forky [build | path | check | versions]"
  rootfs_pg_version "$1" >/dev/null
  case "${2:-build}" in
    build) rootfs_build "$1" ;;
    path) rootfs_dir "$1" ;;
    check) rootfs_current "$1" ;;
    versions) rootfs_versions "$1" ;;
    *) rootfs_die "usage: debian-rootfs.sh trixie|forky [build | path | check | versions]" ;;
  esac
fi
