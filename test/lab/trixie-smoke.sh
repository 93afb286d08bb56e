#!/usr/bin/env bash
# Proves the Debian 13 hosts end to end, apart from the running lab: two trixie hosts
# (PG_ADDRESS, default 127.0.3.1, and BACKUP_ADDRESS, default 127.0.3.2) in STATE_DIR (default
# /var/tmp/bsync-trixie), PostgreSQL 17 on the first, a pgBackRest repository on the second
# reached over SSH (postgres on the PostgreSQL host <-> the repository user pgbackrest),
# stanza-create, check, a full backup, cron running a job, then both hosts stopped and removed.
#
#   trixie-smoke.sh [STATE_DIR]    (KEEP=1: leave the hosts running)
#
# Everything goes through ssh root@ADDRESS with the operator key, as bsync would.
# shellcheck disable=SC2016 # the single-quoted commands are expanded on the hosts
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${1:-/var/tmp/bsync-trixie}
PG=trixie-pg1 PG_ADDRESS=${PG_ADDRESS:-127.0.3.1}
BK=trixie-backup1 BACKUP_ADDRESS=${BACKUP_ADDRESS:-127.0.3.2}
PGDATA=/var/lib/postgresql/17/main
# shellcheck source=SCRIPTDIR/debian-host.sh
. "$HERE/debian-host.sh"

step() { printf '[trixie-smoke] %s\n' "$*" >&2; }
on() { # address command: as root over SSH
  ssh -i "$STATE/ssh/id_ed25519" -o UserKnownHostsFile="$STATE/ssh/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 "root@$1" "$2"
}
cleanup() {
  [ "${KEEP:-}" = 1 ] && return 0
  debian_host_stop "$PG" "$STATE"
  debian_host_stop "$BK" "$STATE"
  rm -rf "$STATE/hosts/$PG" "$STATE/hosts/$BK"
}
trap cleanup EXIT

mkdir -p "$STATE"
t0=$SECONDS
step "rootfs: $(rootfs_build trixie)"
printf '%s %s\n%s %s\n' "$PG_ADDRESS" "$PG" "$BACKUP_ADDRESS" "$BK" > "$STATE/etc-hosts"
step "starting $PG ($PG_ADDRESS) and $BK ($BACKUP_ADDRESS)"
debian_host_start trixie "$PG" "$PG_ADDRESS" "$STATE" "$STATE/etc-hosts" &
p1=$!
debian_host_start trixie "$BK" "$BACKUP_ADDRESS" "$STATE" "$STATE/etc-hosts" &
p2=$!
wait "$p1"
wait "$p2"
step "hosts up in $((SECONDS - t0)) s"
while read -r address name; do
  for key in "$STATE/hosts/$name"/keys/etc/ssh/ssh_host_*_key.pub; do echo "$name,$address $(cut -d' ' -f1,2 "$key")"; done
done < "$STATE/etc-hosts" > "$STATE/ssh/known_hosts"

for address in "$PG_ADDRESS" "$BACKUP_ADDRESS"; do
  on "$address" 'printf "%s: Debian %s, %s, %s; processes: %s\n" "$(hostname)" "$(cat /etc/debian_version)" "$(pgbackrest version)" "$(ssh -V 2>&1 | cut -d, -f1)" "$(ps -e -o comm= | sort -u | tr "\n" " ")"'
done

step "PostgreSQL 17 on $PG"
debian_host_postgres trixie "$PG" "$PG_ADDRESS" "$STATE"
on "$PG_ADDRESS" 'pg_lsclusters; runuser -u postgres -- psql -Atc "select version()"'

step "keys: postgres@$PG <-> pgbackrest@$BK"
on "$BACKUP_ADDRESS" 'id pgbackrest >/dev/null 2>&1 || useradd -m -s /bin/bash pgbackrest
  chown pgbackrest:pgbackrest /var/lib/pgbackrest /var/log/pgbackrest
  [ -f /home/pgbackrest/.ssh/id_ed25519 ] || runuser -u pgbackrest -- ssh-keygen -q -t ed25519 -N "" -f /home/pgbackrest/.ssh/id_ed25519'
on "$PG_ADDRESS" 'install -d -m 0700 -o postgres -g postgres /var/lib/postgresql/.ssh
  [ -f /var/lib/postgresql/.ssh/id_ed25519 ] || runuser -u postgres -- ssh-keygen -q -t ed25519 -N "" -f /var/lib/postgresql/.ssh/id_ed25519'
on "$PG_ADDRESS" 'cat /var/lib/postgresql/.ssh/id_ed25519.pub' |
  on "$BACKUP_ADDRESS" 'install -m 0600 -o pgbackrest -g pgbackrest /dev/stdin /home/pgbackrest/.ssh/authorized_keys'
on "$BACKUP_ADDRESS" 'cat /home/pgbackrest/.ssh/id_ed25519.pub' |
  on "$PG_ADDRESS" 'install -m 0600 -o postgres -g postgres /dev/stdin /var/lib/postgresql/.ssh/authorized_keys'
grep "^$BK," "$STATE/ssh/known_hosts" | on "$PG_ADDRESS" 'install -m 0644 -o postgres -g postgres /dev/stdin /var/lib/postgresql/.ssh/known_hosts'
grep "^$PG," "$STATE/ssh/known_hosts" | on "$BACKUP_ADDRESS" 'install -m 0644 -o pgbackrest -g pgbackrest /dev/stdin /home/pgbackrest/.ssh/known_hosts'

step "pgBackRest: $PG archives to the repository on $BK"
on "$PG_ADDRESS" "install -d -m 0755 /etc/pgbackrest
  printf '[global]\nrepo1-host=$BK\nrepo1-host-user=pgbackrest\nlog-level-console=warn\n\n[demo]\npg1-path=$PGDATA\n' > /etc/pgbackrest/pgbackrest.conf
  printf \"archive_mode = on\narchive_command = 'pgbackrest --stanza=demo archive-push %%p'\n\" > /etc/postgresql/17/main/conf.d/10-archive.conf
  pg_ctlcluster --skip-systemctl-redirect 17 main restart"
on "$BACKUP_ADDRESS" "install -d -m 0755 /etc/pgbackrest
  printf '[global]\nrepo1-path=/var/lib/pgbackrest\nrepo1-retention-full=2\nstart-fast=y\nlog-level-console=info\n\n[demo]\npg1-host=$PG\npg1-host-user=postgres\npg1-path=$PGDATA\n' > /etc/pgbackrest/pgbackrest.conf
  cd / && runuser -u pgbackrest -- pgbackrest --stanza=demo stanza-create &&
  runuser -u pgbackrest -- pgbackrest --stanza=demo check &&
  runuser -u pgbackrest -- pgbackrest --stanza=demo --type=full backup &&
  runuser -u pgbackrest -- pgbackrest --stanza=demo info" | grep -E 'command end|status|full backup'
on "$PG_ADDRESS" 'cd / && runuser -u postgres -- pgbackrest --stanza=demo --log-level-console=info check' | grep 'command end'

step "cron runs a job (up to a minute)"
on "$BACKUP_ADDRESS" 'echo "* * * * * date > /tmp/cron-ran" | crontab -u pgbackrest -'
for _ in $(seq 1 75); do
  if on "$BACKUP_ADDRESS" 'test -s /tmp/cron-ran'; then break; fi
  sleep 1
done
on "$BACKUP_ADDRESS" 'printf "cron ran pgbackrest'"'"'s job at %s\n" "$(cat /tmp/cron-ran)"'

step "all good in $((SECONDS - t0)) s"
