#!/usr/bin/env bash
# One lab host of a Debian generation (SUITE: trixie, Debian 13 with PostgreSQL 17 and
# pgBackRest 2.55; forky, Debian's testing suite with PostgreSQL 18, pgBackRest 2.60 and
# Patroni 4), run from the root filesystem debian-rootfs.sh builds for SUITE:
#
#   debian-host.sh start SUITE NAME ADDRESS STATE_DIR [HOSTS_FILE]   sshd on ADDRESS:22, then cron
#   debian-host.sh postgres SUITE NAME ADDRESS STATE_DIR             pg_createcluster MAJOR main (once) and start it
#   debian-host.sh exec NAME STATE_DIR COMMAND                       a shell command inside the host
#   debian-host.sh stop NAME STATE_DIR
#
# or, sourced (lab.sh): debian_host_start, debian_host_postgres, debian_in_host, debian_host_stop.
#
# The host is a mount + UTS + PID namespace. Its first process mounts an overlay (the cached
# rootfs as the lower folder, $STATE_DIR/hosts/NAME/upper as the upper one) inside the new
# mount namespace, mounts /proc, /sys (read-only), a small /dev with its own devpts, and tmpfs
# on /run, /dev/shm and /tmp, pivot_roots into it (the machine's tree is unmounted: nothing of
# the machine's /usr or /etc shows), sets the hostname and becomes /usr/sbin/sshd -D, listening
# on ADDRESS:22 only. Every mount is made in the host's own namespace, none in the machine's;
# they end with its last process. Root logs in by key only: $STATE_DIR/ssh/id_ed25519 (made if
# missing; lab.sh's operator key is the same file). Layout under $STATE_DIR/hosts/NAME as
# lab.sh's: init.pid (the namespace's first process), unshare.pid, sshd.log, keys/ (the host
# keys, kept across a reset), upper/ and work/ (the overlay's), root/ (its mount point).
# HOSTS_FILE, if given, is appended to the host's /etc/hosts (lab.sh: lab_hosts_block).
set -euo pipefail

DEBIAN_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/debian-rootfs.sh
. "$DEBIAN_HERE/debian-rootfs.sh"

debian_die() { printf 'debian-host: %s\n' "$*" >&2; exit 1; }
debian_host_dir() { echo "$2/hosts/$1"; } # name state
debian_host_pid() { cat "$(debian_host_dir "$1" "$2")/init.pid" 2>/dev/null || true; }
debian_host_alive() { local pid; pid=$(debian_host_pid "$1" "$2"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
debian_in_host() { # name state command... : a shell command in the host's namespaces and root
  local name=$1 state=$2 pid; shift 2
  pid=$(debian_host_pid "$name" "$state")
  [ -n "$pid" ] || debian_die "$name is not running"
  nsenter -t "$pid" -m -u -p -- /bin/sh -c "$*"
}

# The host's own files, written into the overlay's upper folder before it is mounted.
debian_host_tree() { # name address state [hosts_file]
  local name=$1 address=$2 state=$3 hosts_file=${4:-} dir upper
  dir=$(debian_host_dir "$name" "$state")
  upper=$dir/upper
  mkdir -p "$dir/work" "$dir/root" "$upper/etc/ssh/sshd_config.d"
  if [ ! -f "$state/ssh/id_ed25519" ]; then
    install -d -m 0700 "$state/ssh"
    ssh-keygen -q -t ed25519 -N '' -C bsync-lab-operator -f "$state/ssh/id_ed25519"
  fi
  if [ ! -f "$dir/keys/etc/ssh/ssh_host_ed25519_key" ]; then
    mkdir -p "$dir/keys/etc/ssh"
    ssh-keygen -q -A -f "$dir/keys" >/dev/null
  fi
  cp -a "$dir"/keys/etc/ssh/ssh_host_* "$upper/etc/ssh/"
  echo "$name" > "$upper/etc/hostname"
  {
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n%s %s\n' "$address" "$name"
    if [ -n "$hosts_file" ]; then cat "$hosts_file"; fi
  } > "$upper/etc/hosts"
  # sshd on the host's address only: every host shares the machine's network namespace.
  printf 'ListenAddress %s:22\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPidFile /run/sshd.pid\n' \
    "$address" > "$upper/etc/ssh/sshd_config.d/00-lab.conf"
  install -d -m 0700 "$upper/root" "$upper/root/.ssh"
  install -m 0600 "$state/ssh/id_ed25519.pub" "$upper/root/.ssh/authorized_keys"
}

# Run as the namespace's first process (before it becomes sshd), in the machine's tree.
debian_init_script() { # rootfs upper work mountpoint name
  cat <<SH
set -e
r='$4'
mount -t overlay overlay -o 'lowerdir=$1,upperdir=$2,workdir=$3' "\$r"
mount -t proc -o nosuid,nodev,noexec proc "\$r/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "\$r/sys"
mount -t tmpfs -o mode=0755,size=1m,nosuid tmpfs "\$r/dev"
for d in 'null c 1 3' 'zero c 1 5' 'full c 1 7' 'random c 1 8' 'urandom c 1 9' 'tty c 5 0'; do
  set -- \$d; mknod -m 0666 "\$r/dev/\$1" "\$2" "\$3" "\$4"
done
mkdir "\$r/dev/pts" "\$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "\$r/dev/pts"
ln -s pts/ptmx "\$r/dev/ptmx"
ln -s /proc/self/fd "\$r/dev/fd"
ln -s /proc/self/fd/0 "\$r/dev/stdin"; ln -s /proc/self/fd/1 "\$r/dev/stdout"; ln -s /proc/self/fd/2 "\$r/dev/stderr"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "\$r/dev/shm"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "\$r/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "\$r/tmp"
cd "\$r"
pivot_root . .
umount -l .
cd /
install -d -m 0755 /run/sshd /run/lock
install -d -m 2775 -o postgres -g postgres /run/postgresql
hostname '$5'
exec /usr/sbin/sshd -D -e
SH
}

debian_host_start() { # suite name address state [hosts_file]
  # A first process that ends while sshd starts is tried once more: a CI run saw one end
  # silently right after sshd listened (SIGKILL from nowhere that could be found), and a
  # second start found nothing wrong. The message of a second failure stands.
  local suite=$1; shift
  local hosts_file=${4:-}
  [ -n "$hosts_file" ] && hosts_file=$(debian_keep_hosts_file "$hosts_file")
  local status=0
  if ! debian_host_start_once "$suite" "$1" "$2" "$3" "$hosts_file"; then
    echo "debian-host: $1: starting again after a failed start" >&2
    debian_host_stop "$1" "$3"
    debian_host_start_once "$suite" "$1" "$2" "$3" "$hosts_file" || status=1
  fi
  [ -z "$hosts_file" ] || rm -f "$hosts_file"
  return "$status"
}

# A process substitution (<(...)) can be read once: its content is kept for a second try.
debian_keep_hosts_file() { # path -> a regular file with the same content
  local kept
  kept=$(mktemp)
  cat "$1" > "$kept"
  echo "$kept"
}

debian_host_start_once() { # suite name address state [hosts_file]
  local suite=$1 name=$2 address=$3 state=$4 hosts_file=${5:-} dir rootfs
  [ "$(id -u)" -eq 0 ] || debian_die "needs root (namespaces, mounts)"
  dir=$(debian_host_dir "$name" "$state")
  debian_host_alive "$name" "$state" && return 0
  # An sshd still holding the address (a namespace whose pid file went missing) is this
  # host's old one: it goes, or the new one cannot bind.
  local stale
  for stale in $(ss -Hltnp "sport = :22" 2>/dev/null | awk -v a="$address:22" '$4 == a' | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    kill -KILL "$stale" 2>/dev/null || true
  done
  rootfs=$(rootfs_build "$suite") # cached: about 0 s once built
  debian_host_tree "$name" "$address" "$state" "$hosts_file"
  setsid unshare --mount --uts --pid --fork --propagation private \
    /bin/sh -c "$(debian_init_script "$rootfs" "$dir/upper" "$dir/work" "$dir/root" "$name")" \
    </dev/null >>"$dir/sshd.log" 2>&1 &
  local unshare_pid=$! init_pid=""
  for _ in $(seq 1 300); do
    init_pid=$(pgrep -P "$unshare_pid" || true)
    [ -n "$init_pid" ] && break
    sleep 0.1
  done
  [ -n "$init_pid" ] || { echo "debian-host: $name: its namespace did not start (see $dir/sshd.log)" >&2; return 1; }
  echo "$unshare_pid" > "$dir/unshare.pid"
  echo "$init_pid" > "$dir/init.pid"
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/$address/22") 2>/dev/null; then break; fi
    if ! kill -0 "$init_pid" 2>/dev/null; then
      tail -n 20 "$dir/sshd.log" >&2 || true
      rm -f "$dir/init.pid" "$dir/unshare.pid"
      echo "debian-host: $name: its first process ended (see $dir/sshd.log)" >&2
      return 1
    fi
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/$address/22") 2>/dev/null || { echo "debian-host: $name: sshd does not answer on $address:22 (see $dir/sshd.log)" >&2; return 1; }
  debian_in_host "$name" "$state" /usr/sbin/cron
}

# Debian's way, as on the Debian 12 hosts: -p 5432 (the next free port would be counted across
# every host), listen_addresses the host's own, pg_ctlcluster without systemd.
debian_host_postgres() { # suite name address state
  local name=$2 address=$3 state=$4 v
  v=$(rootfs_pg_version "$1")
  debian_in_host "$name" "$state" "
    set -e
    if [ ! -d /etc/postgresql/$v/main ]; then
      pg_createcluster -p 5432 $v main >/dev/null
      echo \"listen_addresses = '$address'\" > /etc/postgresql/$v/main/conf.d/00-lab.conf
    fi
    pg_ctlcluster --skip-systemctl-redirect $v main start
  "
}

debian_host_stop() { # name state
  local name=$1 state=$2 dir pid
  dir=$(debian_host_dir "$name" "$state")
  pid=$(debian_host_pid "$name" "$state")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # Killing a PID namespace's first process ends every process in it; its mounts go with them.
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  pid=$(cat "$dir/unshare.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$dir/init.pid" "$dir/unshare.pid"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) [ $# -ge 5 ] || debian_die "usage: start SUITE NAME ADDRESS STATE_DIR [HOSTS_FILE]"; debian_host_start "$2" "$3" "$4" "$5" "${6:-}" ;;
    postgres) [ $# -eq 5 ] || debian_die "usage: postgres SUITE NAME ADDRESS STATE_DIR"; debian_host_postgres "$2" "$3" "$4" "$5" ;;
    exec) [ $# -ge 4 ] || debian_die "usage: exec NAME STATE_DIR COMMAND"; n=$2 s=$3; shift 3; debian_in_host "$n" "$s" "$*" ;;
    stop) [ $# -eq 3 ] || debian_die "usage: stop NAME STATE_DIR"; debian_host_stop "$2" "$3" ;;
    *) echo "usage: debian-host.sh start SUITE NAME ADDRESS STATE_DIR [HOSTS_FILE] | postgres SUITE NAME ADDRESS STATE_DIR | exec NAME STATE_DIR COMMAND | stop NAME STATE_DIR" >&2; exit 1 ;;
  esac
fi
