#!/usr/bin/env bash
# The bsync lab: real hosts on one Debian 12 machine. A host is a mount + UTS + PID
# namespace whose first process is its own sshd on its own loopback address, with a
# private copy of /etc and private homes, PostgreSQL, pgBackRest, cron and /run state.
#
#   lab.sh up [scale|trixie|forky] | down [scale] | status | reset ssh|s3|ha|adopt|rocky|multi|posix|azure|trixie|forky|scale
#
# `up` brings up the ssh, s3, ha, adopt, rocky, multi, posix and azure scenarios; the scale scenario (16 zones
# of one PostgreSQL and one backup host, 32 hosts on 127.0.2.x) only when asked: `up scale`; the
# trixie scenario (Debian 13 hosts from a root filesystem of their own) too: `up trixie`, and
# the forky scenario (Debian testing: PostgreSQL 18, pgBackRest 2.60): `up forky`.
# adopt's hosts are left as the Ansible role setup_backrest leaves them (adopt-role.sh);
# rocky's have the Rocky Linux 9 / PGDG layout and sshd on port 2222. multi's stanza has two
# repositories (the backup host and the S3 server, path /multi), posix's one in a folder
# both of its PostgreSQL hosts mount (as they would an NFS share), azure's one in Azurite; fixtures/lab/gcs.toml puts a second stanza on
# azure's host, in the lab's GCS server (gcs-server.mjs).
#
# State lives in $BSYNC_LAB_DIR (default /var/tmp/bsync-lab); see docs/lab.md.
set -euo pipefail

STATE=${BSYNC_LAB_DIR:-/var/tmp/bsync-lab}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
PG_VERSION=15
ETCD_ADDRESS=127.0.1.39
S3_NAME=s3.lab
S3_ADDRESS=127.0.1.29
# A second bucket of the S3 server with versioning on (test/lab/s3-versions.mjs: pgBackRest's repo-target-time).
S3_VERSIONED_BUCKET=bsync-lab-versioned
# Keyless S3 (docs/lab.md): the EC2 instance metadata service at its own address (added to
# lo while the lab is up) and STS at sts.amazonaws.com, a name only the lab hosts' own
# /etc/hosts map (pgBackRest's STS host name is fixed). The role, token and KMS key are the lab's.
IMDS_ADDRESS=169.254.169.254
STS_NAME=sts.amazonaws.com
STS_ADDRESS=127.0.1.26
LAB_ROLE=bsync-lab
LAB_ROLE_ARN=arn:aws:iam::123456789012:role/bsync-lab
LAB_KMS_KEY_ID=arn:aws:kms:us-east-1:123456789012:key/bsync-lab
# Objects under this prefix of the bucket must be written with SSE-KMS and the lab's key.
LAB_KMS_PREFIX=keyless-kms/
# Where each lab host finds its web identity token (where EKS projects a service account's).
WEB_IDENTITY_TOKEN=/run/secrets/eks.amazonaws.com/serviceaccount/token
AZURE_NAME=azure.lab
AZURE_ADDRESS=127.0.1.28
AZURE_PORT=443
AZURE_ACCOUNT=bsynclab
# The GCS server (gcs-server.mjs) and, on port 80 of the same address, the GCE metadata server
# pgBackRest asks for key_type auto (a fixed name: metadata.google.internal).
GCS_NAME=gcs.lab
GCS_ADDRESS=127.0.1.27
GCS_PORT=443
GCS_METADATA_PORT=80
HOSTS_BEGIN='# bsync-lab begin'
HOSTS_END='# bsync-lab end'

# name address kind scenario (kind: postgres | backup | patroni | rocky-postgres | rocky-backup | trixie-postgres | trixie-backup | forky-postgres | forky-backup | forky-patroni)
HOSTS="
ssh-pg1 127.0.1.11 postgres ssh
ssh-pg2 127.0.1.12 postgres ssh
ssh-backup1 127.0.1.13 backup ssh
ssh-backup2 127.0.1.14 backup ssh
s3-pg1 127.0.1.21 postgres s3
s3-pg2 127.0.1.22 postgres s3
ha-pg1 127.0.1.31 patroni ha
ha-pg2 127.0.1.32 patroni ha
ha-pg3 127.0.1.33 patroni ha
ha-backup1 127.0.1.34 backup ha
adopt-pg1 127.0.1.41 postgres adopt
adopt-backup1 127.0.1.43 backup adopt
rocky-pg1 127.0.1.51 rocky-postgres rocky
rocky-backup1 127.0.1.53 rocky-backup rocky
multi-pg1 127.0.1.61 postgres multi
multi-backup1 127.0.1.63 backup multi
posix-pg1 127.0.1.71 postgres posix
posix-pg2 127.0.1.72 postgres posix
azure-pg1 127.0.1.81 postgres azure
azure-pg2 127.0.1.82 postgres azure
trixie-pg1 127.0.1.91 trixie-postgres trixie
trixie-pg2 127.0.1.92 trixie-postgres trixie
trixie-backup1 127.0.1.93 trixie-backup trixie
forky-pg1 127.0.1.101 forky-postgres forky
forky-pg2 127.0.1.102 forky-postgres forky
forky-backup1 127.0.1.103 forky-backup forky
forky-ha1 127.0.1.104 forky-patroni forky
forky-ha2 127.0.1.105 forky-patroni forky
$(for n in $(seq 1 16); do printf 'scale-pg%02d 127.0.2.%d postgres scale\nscale-backup%02d 127.0.2.%d backup scale\n' "$n" "$n" "$n" "$((100 + n))"; done)
"

PACKAGES="mmdebstrap openssh-server openssh-client pgbackrest postgresql-$PG_VERSION postgresql-client-$PG_VERSION patroni python3-psycopg2 etcd-server etcd-client cron openssl iproute2 iptables util-linux procps curl ca-certificates socat faketime"

# shellcheck source=adopt-role.sh
. "$HERE/adopt-role.sh"
# shellcheck source=debian-host.sh
. "$HERE/debian-host.sh"

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

hosts_of() { # scenario, "all", or "default" (all but scale, trixie and forky) -> lines "name address kind scenario"
  echo "$HOSTS" | awk -v s="$1" 'NF == 4 && (s == "all" || $4 == s || (s == "default" && $4 != "scale" && $4 != "trixie" && $4 != "forky"))'
}
host_field() { echo "$HOSTS" | awk -v n="$1" -v f="$2" 'NF == 4 && $1 == n { print $f }'; }
host_root() { echo "$STATE/hosts/$1"; }
is_rocky() { case "$(host_field "$1" 3)" in rocky-*) return 0 ;; *) return 1 ;; esac; }
# Rocky hosts' sshd listens on 2222: bsync and pgBackRest must both follow a port other than 22.
host_ssh_port() { if is_rocky "$1"; then echo 2222; else echo 22; fi; }
host_pid() { cat "$(host_root "$1")/init.pid" 2>/dev/null || true; }
host_alive() { local pid; pid=$(host_pid "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
in_host() { # name command... : run a shell command inside the host's namespaces
  local name=$1; shift
  nsenter -t "$(host_pid "$name")" -m -u -p -- /bin/sh -c "$*"
}

require_root() { [ "$(id -u)" -eq 0 ] || die "the lab needs root (it makes namespaces, mounts and users); run it as root"; }

install_packages() {
  local missing=()
  for pkg in $PACKAGES; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  # Keep apt from starting daemons: the lab starts its own, per host.
  [ -e /usr/sbin/policy-rc.d ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade "${missing[@]}" >/dev/null
}

ensure_operator_files() {
  mkdir -p "$STATE/ssh" "$STATE/secrets"
  chmod 0700 "$STATE/ssh" "$STATE/secrets"
  [ -f "$STATE/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C bsync-lab-operator -f "$STATE/ssh/id_ed25519"
  for secret in cipher_pass backup_password s3_key s3_key_secret pg_superuser pg_replication; do
    [ -s "$STATE/secrets/$secret" ] || (umask 077; openssl rand -hex 24 > "$STATE/secrets/$secret")
  done
  # An S3 access key reads like one: upper-case letters and digits.
  (umask 077; head -c 20 "$STATE/secrets/s3_key" | tr 'a-f' 'A-F' > "$STATE/secrets/s3_key.tmp" && mv "$STATE/secrets/s3_key.tmp" "$STATE/secrets/s3_key")
  # A web identity token reads like one: a JWT (header.payload.signature), never checked beyond equality.
  [ -s "$STATE/secrets/web_identity_token" ] || (umask 077; printf 'eyJhbGciOiJSUzI1NiJ9.%s.%s\n' "$(openssl rand -hex 24)" "$(openssl rand -hex 16)" > "$STATE/secrets/web_identity_token")
  # An Azure shared key is base64 of 64 random bytes, as the portal hands them out.
  [ -s "$STATE/secrets/azure_key" ] || (umask 077; openssl rand -base64 64 | tr -d '\n' > "$STATE/secrets/azure_key")
  # A GCS service account's key as Google hands it out (JSON with an RSA private key); its
  # token_uri is the lab's GCS server, which checks the JWTs it signs with the public half.
  [ -s "$STATE/secrets/gcs_key.json" ] || make_gcs_key "$STATE/secrets/gcs_key.json"
}

make_gcs_key() { # path
  (umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.pem" 2>/dev/null)
  (umask 077; node -e '
    const fs = require("fs");
    const [pem, out, uri] = process.argv.slice(1);
    const key = { type: "service_account", project_id: "bsync-lab", private_key_id: "lab",
      private_key: fs.readFileSync(pem, "utf8"), client_email: "bsync@bsync-lab.iam.gserviceaccount.com",
      client_id: "1", token_uri: uri };
    fs.writeFileSync(out, JSON.stringify(key, null, 2) + "\n");
  ' "$1.pem" "$1" "https://$GCS_NAME/token")
  rm -f "$1.pem"
}

lab_hosts_block() { # [private]: a lab host's own /etc/hosts, which also sends sts.amazonaws.com to the lab's STS
  echo "$HOSTS_BEGIN"
  hosts_of all | while read -r name address _ _; do echo "$address $name"; done
  echo "$S3_ADDRESS $S3_NAME"
  if [ "${1:-}" = private ]; then echo "$STS_ADDRESS $STS_NAME"; fi
  echo "$AZURE_ADDRESS $AZURE_NAME"
  echo "$GCS_ADDRESS $GCS_NAME metadata.google.internal"
  echo "$ETCD_ADDRESS etcd.lab"
  echo "$HOSTS_END"
}

# Rewritten only when the block changes, and then renamed into place: suites of the other
# lane resolve lab names through it while `up scale` or `up trixie` runs.
write_machine_hosts() {
  local wanted
  wanted="$(sed "/^$HOSTS_BEGIN\$/,/^$HOSTS_END\$/d" /etc/hosts)
$(lab_hosts_block)"
  [ "$wanted" = "$(cat /etc/hosts)" ] && return 0
  printf '%s\n' "$wanted" > /etc/hosts.bsync-lab
  chmod --reference=/etc/hosts /etc/hosts.bsync-lab
  mv /etc/hosts.bsync-lab /etc/hosts
}

remove_machine_hosts() {
  if grep -qF "$HOSTS_BEGIN" /etc/hosts; then
    sed -i "/^$HOSTS_BEGIN\$/,/^$HOSTS_END\$/d" /etc/hosts
  fi
}

# The posix scenario's hosts mount one folder at /var/lib/pgbackrest, as a real zone of
# several PostgreSQL hosts mounts one NFS share there (docs/config.md: posix).
shared_repo_of() { # name -> the shared folder, or nothing
  case "$1" in posix-pg*) echo "$STATE/shared/posix-repo" ;; esac
}

# Lays out a host's private folders with the owners and modes Debian gives them.
make_host_tree() {
  local name=$1 address=$2 kind=$3 root
  root=$(host_root "$name")
  mkdir -p "$root"
  if [ ! -d "$root/etc" ]; then
    cp -a /etc "$root/etc"
    rm -f "$root"/etc/ssh/ssh_host_*
    rm -rf "$root/etc/postgresql/$PG_VERSION" "$root/etc/pgbackrest" "$root/etc/patroni"
    if [ -d "$root/keys" ]; then cp -a "$root"/keys/ssh_host_* "$root/etc/ssh/"; else ssh-keygen -q -A -f "$root"; mkdir -p "$root/keys"; cp -a "$root"/etc/ssh/ssh_host_* "$root/keys/"; fi
  fi
  echo "$name" > "$root/etc/hostname"
  { printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'; lab_hosts_block private; } > "$root/etc/hosts"
  mkdir -p "$root/etc/ssh/sshd_config.d"
  printf 'ListenAddress %s:%s\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nPidFile /run/sshd.pid\n' "$address" "$(host_ssh_port "$name")" > "$root/etc/ssh/sshd_config.d/00-lab.conf"
  if is_rocky "$name"; then make_rocky_tree "$name"; fi

  install -d -m 0700 "$root/root" "$root/root/.ssh"
  [ -f "$root/root/.bashrc" ] || cp /etc/skel/.bashrc "$root/root/.bashrc"
  install -m 0600 "$STATE/ssh/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  install -d -m 0755 "$root/home"
  install -d -m 0755 -o postgres -g postgres "$root/var/lib/postgresql"
  # bsync's own state on a host (a Patroni restore's mark): each host's, as on real machines.
  install -d -m 0700 "$root/var/lib/bsync" /var/lib/bsync
  install -d -m 0750 -o postgres -g postgres "$root/var/lib/pgbackrest" "$root/var/spool/pgbackrest"
  if [ -n "$(shared_repo_of "$name")" ]; then install -d -m 0750 -o postgres -g postgres "$(shared_repo_of "$name")"; fi
  install -d -m 0755 "$root/var/spool/cron"
  install -d -m 1730 -o root -g crontab "$root/var/spool/cron/crontabs"
  install -d -m 0755 "$root/var/log"
  install -d -m 1775 -o root -g postgres "$root/var/log/postgresql"
  install -d -m 0750 -o postgres -g postgres "$root/var/log/pgbackrest"
  install -d -m 0755 "$root/run" "$root/run/sshd"
  install -d -m 2775 -o postgres -g postgres "$root/run/postgresql"
  # The web identity token key_type = "web-id" trades at the lab's STS, readable as EKS projects it.
  install -d -m 0755 "$root$(dirname "$WEB_IDENTITY_TOKEN")"
  install -m 0644 "$STATE/secrets/web_identity_token" "$root$WEB_IDENTITY_TOKEN"
  install -d -m 1777 "$root/run/lock" "$root/tmp"
  if [ "$kind" = patroni ]; then write_patroni_config "$name" "$address"; fi
}

# The private folders bind-mounted over the machine's inside the host's namespace.
PRIVATE_DIRS="etc root home var/lib/bsync var/lib/postgresql var/lib/pgbackrest var/spool/pgbackrest var/spool/cron var/log run tmp"
# Rocky hosts: /usr and /var/lib are overlays (see rocky_mounts), so no Debian folder shows through.
ROCKY_PRIVATE_DIRS="etc root home var/lib/pgbackrest var/spool/pgbackrest var/spool/cron var/log run tmp"

# ---- Rocky Linux 9 / PGDG layout (rocky scenario), from the machine's own binaries ----

ROCKY_OS_RELEASE='NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
HOME_URL="https://rockylinux.org/"'

make_rocky_tree() {
  local name=$1 root
  root=$(host_root "$name")
  rm -f "$root/etc/os-release"
  # No Debian cluster configuration: PGDG keeps postgresql.conf in the data directory.
  rm -rf "$root/etc/postgresql" "$root/etc/postgresql-common"
  printf '%s\n' "$ROCKY_OS_RELEASE" > "$root/etc/os-release"
  # PGDG's postgres user lives in /var/lib/pgsql.
  sed -i 's#^\(postgres:[^:]*:[^:]*:[^:]*:[^:]*:\)[^:]*:#\1/var/lib/pgsql:#' "$root/etc/passwd"
  mkdir -p "$root/usr/upper" "$root/usr/work" "$root/varlib/upper" "$root/varlib/work" "$root/pgbin"
}

# Shell run first in a Rocky host's namespace: /usr and /var/lib become overlays on the
# machine's (written only in the host's own upper folders), PostgreSQL's binaries appear as
# /usr/pgsql-15 and Debian's folder and helpers (pg_ctlcluster, the psql wrapper) are gone,
# /var/lib/postgresql is gone and /var/lib/pgsql exists, and cron runs as crond.
rocky_mounts() {
  local root=$1
  cat <<SH
mount --bind /usr/lib/postgresql/$PG_VERSION '$root/pgbin' &&
mount -t overlay overlay -o lowerdir=/usr,upperdir='$root/usr/upper',workdir='$root/usr/work' /usr &&
mkdir -p /usr/pgsql-$PG_VERSION && mount --bind '$root/pgbin' /usr/pgsql-$PG_VERSION &&
rm -rf /usr/lib/postgresql &&
find /usr/bin -maxdepth 1 -lname '*pg_wrapper' -delete &&
rm -f /usr/bin/pg_ctlcluster /usr/bin/pg_createcluster /usr/bin/pg_dropcluster /usr/bin/pg_lsclusters /usr/bin/pg_upgradecluster /usr/bin/pg_conftool /usr/bin/pg_renamecluster /usr/bin/pg_backupcluster /usr/bin/pg_restorecluster &&
{ [ -e /usr/sbin/crond ] || cp -p /usr/sbin/cron /usr/sbin/crond; } &&
mount -t overlay overlay -o lowerdir=/var/lib,upperdir='$root/varlib/upper',workdir='$root/varlib/work' /var/lib &&
rm -rf /var/lib/postgresql && install -d -m 0700 -o postgres -g postgres /var/lib/pgsql &&
SH
}

start_host() {
  local name=$1 address=$2 root mounts="" dirs=$PRIVATE_DIRS cron=/usr/sbin/cron
  root=$(host_root "$name")
  if is_rocky "$name"; then mounts=$(rocky_mounts "$root"); dirs=$ROCKY_PRIVATE_DIRS; cron=/usr/sbin/crond; fi
  for dir in $dirs; do
    local source="$root/$dir"
    if [ "$dir" = var/lib/pgbackrest ] && [ -n "$(shared_repo_of "$name")" ]; then source=$(shared_repo_of "$name"); fi
    mounts="$mounts mount --bind '$source' '/$dir' &&"
  done
  # The namespace's first process mounts the private folders, names itself, and becomes sshd.
  setsid unshare --mount --uts --pid --fork --mount-proc --propagation private \
    /bin/sh -c "$mounts hostname '$name' && exec /usr/sbin/sshd -D -e" \
    </dev/null >>"$root/sshd.log" 2>&1 &
  local unshare_pid=$! init_pid=""
  for _ in $(seq 1 300); do
    init_pid=$(pgrep -P "$unshare_pid" || true)
    [ -n "$init_pid" ] && break
    sleep 0.1
  done
  [ -n "$init_pid" ] || die "$name: its namespace did not start (see $root/sshd.log)"
  echo "$unshare_pid" > "$root/unshare.pid"
  echo "$init_pid" > "$root/init.pid"
  wait_for_sshd "$name" "$address" "$init_pid" "$root/sshd.log"
  in_host "$name" "$cron"
}

# 60 s, not 10: seventeen hosts start at once on two cores, and a slow machine needs the time.
# A namespace whose first process died will never answer, so that fails at once, with its log.
wait_for_sshd() { # name address init_pid log
  local port
  port=$(host_ssh_port "$1")
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/$2/$port") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  log "$1: the last lines of $4:"
  tail -n 20 "$4" >&2 || true
  die "$1 sshd does not answer on $2:$port"
}

wait_for_port() { # address port what
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$3 does not answer on $1:$2"
}

start_postgres_cluster() {
  local name=$1 address=$2
  in_host "$name" "
    set -e
    if [ ! -d /etc/postgresql/$PG_VERSION/main ]; then
      # -p: the hosts share one network namespace, so the next free port would not be 5432.
      pg_createcluster -p 5432 $PG_VERSION main >/dev/null
      echo \"listen_addresses = '$address'\" > /etc/postgresql/$PG_VERSION/main/conf.d/00-lab.conf
    fi
    pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main start
  "
}

# PGDG's layout: data, postgresql.conf and pg_hba.conf in /var/lib/pgsql/15/data, started
# with pg_ctl from /usr/pgsql-15/bin (no pg_ctlcluster, no psql on PATH).
start_rocky_postgres() {
  local name=$1 address=$2
  in_host "$name" "
    set -e
    data=/var/lib/pgsql/$PG_VERSION/data
    if [ ! -f \$data/PG_VERSION ]; then
      install -d -m 0700 -o postgres -g postgres /var/lib/pgsql/$PG_VERSION
      runuser -u postgres -- /usr/pgsql-$PG_VERSION/bin/initdb -D \$data --auth-local=peer --auth-host=scram-sha-256 >/dev/null
      printf \"listen_addresses = '%s'\\nport = 5432\\nlogging_collector = on\\n\" '$address' >> \$data/postgresql.conf
    fi
    cd /var/lib/pgsql && runuser -u postgres -- /usr/pgsql-$PG_VERSION/bin/pg_ctl -D \$data -l /var/lib/pgsql/$PG_VERSION/startup.log -w -s start
  "
}

stop_host() {
  local name=$1 root pid
  root=$(host_root "$name")
  pid=$(host_pid "$name")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # Killing a PID namespace's first process ends every process in it.
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  pid=$(cat "$root/unshare.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$root/init.pid" "$root/unshare.pid"
}

# Whole or not at all: suites of the other lane read it while scale or trixie come up.
write_known_hosts() {
  known_hosts_lines > "$STATE/ssh/known_hosts.new"
  mv "$STATE/ssh/known_hosts.new" "$STATE/ssh/known_hosts"
}

known_hosts_lines() {
  hosts_of all | while read -r name address _ _; do
    local names="$name,$address" port
    port=$(host_ssh_port "$name")
    [ "$port" = 22 ] || names="[$name]:$port,[$address]:$port"
    # From the keys a reset keeps (keys/, or keys/etc/ssh/ on a Debian 13 host), never from the
    # host's /etc: the other lane may be resetting it right now, and a host missing from the
    # file fails every suite after.
    for key in "$(host_root "$name")"/keys/ssh_host_*_key.pub "$(host_root "$name")"/keys/etc/ssh/ssh_host_*_key.pub; do
      # A host that was never up (the scale scenario until asked for) has no keys yet.
      if [ -f "$key" ]; then echo "$names $(cut -d' ' -f1,2 "$key")"; fi
    done
  done
}

# ---- etcd and Patroni (ha scenario) ----

start_etcd() {
  local dir="$STATE/etcd" pid
  mkdir -p "$dir"
  pid=$(cat "$dir/etcd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  setsid /usr/bin/etcd --name lab --data-dir "$dir/data" \
    --listen-client-urls "http://$ETCD_ADDRESS:2379" --advertise-client-urls "http://$ETCD_ADDRESS:2379" \
    --listen-peer-urls "http://$ETCD_ADDRESS:2380" --initial-advertise-peer-urls "http://$ETCD_ADDRESS:2380" \
    --initial-cluster "lab=http://$ETCD_ADDRESS:2380" </dev/null >>"$dir/etcd.log" 2>&1 &
  echo $! > "$dir/etcd.pid"
  wait_for_port "$ETCD_ADDRESS" 2379 etcd
}

stop_etcd() {
  local pid
  pid=$(cat "$STATE/etcd/etcd.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$STATE/etcd/etcd.pid"
}

# A member's patroni.yml: the ha scenario's (PostgreSQL 15, Patroni 3) and forky's (18, Patroni 4) alike.
patroni_yaml() { # scope name address pg-version
  local scope=$1 name=$2 address=$3 version=$4
  cat <<YAML
scope: $scope
name: $name
log:
  level: INFO
restapi:
  listen: $address:8008
  connect_address: $address:8008
etcd3:
  hosts: $ETCD_ADDRESS:2379
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 5
    retry_timeout: 10
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: 'on'
      pg_hba:
        - local all all peer
        - host replication replicator 127.0.0.0/8 scram-sha-256
        - host all all 127.0.0.0/8 scram-sha-256
  initdb:
    - encoding: UTF8
    - data-checksums
postgresql:
  listen: $address:5432
  connect_address: $address:5432
  data_dir: /var/lib/postgresql/$version/patroni
  bin_dir: /usr/lib/postgresql/$version/bin
  pgpass: /var/lib/postgresql/.pgpass_patroni
  authentication:
    superuser:
      username: postgres
      password: $(cat "$STATE/secrets/pg_superuser")
    replication:
      username: replicator
      password: $(cat "$STATE/secrets/pg_replication")
  parameters:
    unix_socket_directories: /var/run/postgresql
YAML
}

write_patroni_config() {
  local name=$1 address=$2 root
  root=$(host_root "$name")
  install -d -m 0755 "$root/etc/patroni"
  patroni_yaml bsync-ha "$name" "$address" "$PG_VERSION" > "$root/etc/patroni/patroni.yml"
  chown -R postgres:postgres "$root/etc/patroni"
  chmod 0600 "$root/etc/patroni/patroni.yml"
}

# A forky member's, written inside the host (its postgres user is its root filesystem's).
write_forky_patroni_config() {
  local name=$1 address=$2
  patroni_yaml bsync-forky-ha "$name" "$address" 18 | in_host "$name" \
    'install -d -o postgres -g postgres -m 0755 /etc/patroni && umask 077 && cat > /etc/patroni/patroni.yml && chown postgres:postgres /etc/patroni/patroni.yml'
}

# forky's Patroni zone: Patroni 4.1 and PostgreSQL 18, two members.
start_forky_ha_cluster() {
  start_patroni forky-ha1
  wait_for_patroni forky-ha1 leader
  start_patroni forky-ha2
  wait_for_patroni forky-ha2 replica
}

start_patroni() {
  in_host "$1" "runuser -u postgres -- setsid /usr/bin/patroni /etc/patroni/patroni.yml >>/var/log/patroni.log 2>&1 </dev/null &"
}

patroni_role() { # name -> leader | replica | ... from its REST API
  curl -s --max-time 2 "http://$(host_field "$1" 2):8008/patroni" 2>/dev/null | sed -n 's/.*"role": *"\([a-z_]*\)".*/\1/p'
}

wait_for_patroni() { # name wanted-role
  for _ in $(seq 1 300); do
    local state
    state=$(curl -s --max-time 2 "http://$(host_field "$1" 2):8008/patroni" 2>/dev/null || true)
    case "$2" in
      leader) echo "$state" | grep -q '"role": *"\(master\|primary\|leader\)"' && echo "$state" | grep -q '"state": *"running"' && return 0 ;;
      replica) echo "$state" | grep -q '"role": *"replica"' && echo "$state" | grep -q '"state": *"\(running\|streaming\)"' && return 0 ;;
    esac
    sleep 0.5
  done
  die "$1: Patroni did not become $2 (see $(host_root "$1")/var/log/patroni.log)"
}

start_ha_cluster() {
  # The first member initialises the cluster alone; the others join as replicas.
  start_patroni ha-pg1
  wait_for_patroni ha-pg1 leader
  start_patroni ha-pg2
  start_patroni ha-pg3
  wait_for_patroni ha-pg2 replica
  wait_for_patroni ha-pg3 replica
}

# ---- the S3 server (s3 scenario) ----

# A CA and a server certificate for one DNS name in dir (ca.crt, server.crt, server.key); kept once made.
make_lab_certificates() { # dir name
  local dir=$1 name=$2
  mkdir -p "$dir"
  [ -f "$dir/server.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=bsync lab CA' \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  chmod 0644 "$dir/ca.crt"
}

make_s3_certificates() { make_lab_certificates "$STATE/s3" "$S3_NAME"; }

# The lab's s3rver needs patches/ (see s3-server.mjs). patch-package is a dev dependency,
# so the patch is applied here, just before s3rver is loaded, rather than on every install
# of bsync. It is idempotent: an applied patch is recognised and kept.
patch_s3rver() {
  local out
  [ -x "$PROJECT/node_modules/.bin/patch-package" ] || die "the lab needs bsync's dev dependencies: run npm ci in $PROJECT"
  out=$(cd "$PROJECT" && node_modules/.bin/patch-package 2>&1) || die "cannot apply patches/ to node_modules (run npm ci in $PROJECT):
$out"
}

start_s3() {
  local dir="$STATE/s3" pid
  make_s3_certificates
  pid=$(cat "$dir/s3.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  patch_s3rver
  mkdir -p "$dir/data"
  NODE_OPTIONS=--openssl-legacy-provider setsid node "$HERE/s3-server.mjs" \
    --address "$S3_ADDRESS" --endpoint "${S3_NAME#s3.}" --port 443 --directory "$dir/data" --cert "$dir/server.crt" --key "$dir/server.key" \
    --bucket bsync-lab --versioned-bucket "$S3_VERSIONED_BUCKET" \
    --access-key "$(cat "$STATE/secrets/s3_key")" --secret-key-file "$STATE/secrets/s3_key_secret" \
    --credentials-dir "$STATE/aws/credentials" --kms-key-id "$LAB_KMS_KEY_ID" --kms-prefix "$LAB_KMS_PREFIX" --sse-log "$dir/sse.log" \
    </dev/null >>"$dir/s3.log" 2>&1 &
  echo $! > "$dir/s3.pid"
  wait_for_port "$S3_ADDRESS" 443 "the S3 server"
}

stop_s3() {
  local pid
  pid=$(cat "$STATE/s3/s3.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$STATE/s3/s3.pid"
}

# ---- keyless S3: the instance metadata service and STS (emulated, see docs/lab.md) ----

# STS's certificate comes from the S3 server's CA: pgBackRest checks it against repoN-storage-ca-file.
make_sts_certificate() {
  local dir="$STATE/aws"
  mkdir -p "$dir"
  [ -f "$dir/sts.crt" ] && return 0
  make_s3_certificates
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$STS_NAME" -keyout "$dir/sts.key" -out "$dir/sts.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$STS_NAME" > "$dir/sts.ext"
  openssl x509 -req -in "$dir/sts.csr" -CA "$STATE/s3/ca.crt" -CAkey "$STATE/s3/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/sts.ext" -out "$dir/sts.crt" 2>/dev/null
}

start_aws() {
  local dir="$STATE/aws" pid
  make_sts_certificate
  install -d -m 0700 "$dir/credentials"
  # The metadata service's address: pgBackRest's is fixed. Added to lo only while the lab is up.
  # The listing first, then the match: `ip … | grep -q` under pipefail fails when grep's early
  # exit cuts ip off (SIGPIPE), and then adding the address again stops `up`.
  imds_on_lo || ip addr add "$IMDS_ADDRESS/32" dev lo
  pid=$(cat "$dir/imds.pid" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    setsid node "$HERE/imds-server.mjs" --address "$IMDS_ADDRESS" --port 80 --role "$LAB_ROLE" \
      --credentials-dir "$dir/credentials" </dev/null >>"$dir/imds.log" 2>&1 &
    echo $! > "$dir/imds.pid"
    wait_for_port "$IMDS_ADDRESS" 80 "the instance metadata service"
  fi
  pid=$(cat "$dir/sts.pid" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    setsid node "$HERE/sts-server.mjs" --address "$STS_ADDRESS" --port 443 --cert "$dir/sts.crt" --key "$dir/sts.key" \
      --role-arn "$LAB_ROLE_ARN" --token-file "$STATE/secrets/web_identity_token" \
      --credentials-dir "$dir/credentials" </dev/null >>"$dir/sts.log" 2>&1 &
    echo $! > "$dir/sts.pid"
    wait_for_port "$STS_ADDRESS" 443 "the STS"
  fi
}

imds_on_lo() {
  local addresses
  addresses=$(ip -o addr show dev lo)
  [[ "$addresses" == *" $IMDS_ADDRESS/"* ]]
}

stop_aws() {
  local pid
  for name in imds sts; do
    pid=$(cat "$STATE/aws/$name.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -f "$STATE/aws/$name.pid"
  done
  if imds_on_lo; then ip addr del "$IMDS_ADDRESS/32" dev lo || true; fi
}

# ---- the Azure Blob server (Azurite) ----

# Its own CA, like s3's: a test can trust one service's CA without the other's.
make_azure_certificates() { make_lab_certificates "$STATE/azure" "$AZURE_NAME"; }

start_azure() {
  local dir="$STATE/azure" pid launched
  make_azure_certificates
  pid=$(cat "$dir/azure.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  [ -f "$PROJECT/node_modules/azurite/package.json" ] || die "the lab needs bsync's dev dependencies (azurite): run npm ci in $PROJECT"
  mkdir -p "$dir/data"
  rm -f "$dir/azure.pid"
  setsid node "$HERE/azure-server.mjs" \
    --address "$AZURE_ADDRESS" --port "$AZURE_PORT" --name "$AZURE_NAME" --location "$dir/data" \
    --cert "$dir/server.crt" --key "$dir/server.key" --ca "$dir/ca.crt" \
    --account "$AZURE_ACCOUNT" --account-key-file "$STATE/secrets/azure_key" --container bsync-lab --pid-file "$dir/azure.pid" \
    </dev/null >>"$dir/azure.log" 2>&1 &
  launched=$!
  # The server writes its pid file once the container exists: an open port alone is not ready.
  wait_for_pid_file "$dir/azure.pid" "$launched" "the Azure server" "$AZURE_ADDRESS:$AZURE_PORT" "$dir/azure.log"
}

# A server the lab launched (pid `launched`) is ready once it wrote its pid file; 20 s.
wait_for_pid_file() { # pid-file launched what address log
  for _ in $(seq 1 200); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || die "$3 did not start (see $5)"
    sleep 0.1
  done
  die "$3 did not come up on $4 (see $5)"
}

stop_azure() {
  local pid
  pid=$(cat "$STATE/azure/azure.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    # Azurite saves its metadata as it closes: wait, so that down's rm -rf does not race with it.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/azure/azure.pid"
}

# ---- the Google Cloud Storage server (gcs-server.mjs) ----

make_gcs_certificates() { make_lab_certificates "$STATE/gcs" "$GCS_NAME"; }

start_gcs() {
  local dir="$STATE/gcs" pid
  make_gcs_certificates
  pid=$(cat "$dir/gcs.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  mkdir -p "$dir/data"
  rm -f "$dir/gcs.pid"
  setsid node "$HERE/gcs-server.mjs" \
    --address "$GCS_ADDRESS" --port "$GCS_PORT" --metadata-port "$GCS_METADATA_PORT" --name "$GCS_NAME" \
    --cert "$dir/server.crt" --key "$dir/server.key" --directory "$dir/data" --bucket bsync-lab \
    --service-account "$STATE/secrets/gcs_key.json" --pid-file "$dir/gcs.pid" \
    </dev/null >>"$dir/gcs.log" 2>&1 &
  # The server writes its pid file once both ports listen.
  wait_for_pid_file "$dir/gcs.pid" $! "the GCS server" "$GCS_ADDRESS:$GCS_PORT" "$dir/gcs.log"
}

stop_gcs() {
  local pid
  pid=$(cat "$STATE/gcs/gcs.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$STATE/gcs/gcs.pid"
}

# ---- commands ----

wait_all() { # pids: waits for these (not for the daemons the lab started), fails if one failed
  local failed=0
  for pid in "$@"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || die "a host did not come up (see the messages above)"
}

bring_up_host() { # name address kind
  local name=$1 address=$2 kind=$3
  host_alive "$name" && return 0
  # Debian 13 and testing hosts run from a root filesystem of their own (debian-host.sh), not the machine's /usr.
  case "$kind" in trixie-* | forky-*)
    debian_host_start "${kind%%-*}" "$name" "$address" "$STATE" <(lab_hosts_block private)
    case "$kind" in
      *-postgres) debian_host_postgres "${kind%%-*}" "$name" "$address" "$STATE" ;;
      forky-patroni) write_forky_patroni_config "$name" "$address" ;;
    esac
    return 0 ;;
  esac
  make_host_tree "$name" "$address" "$kind"
  start_host "$name" "$address"
  if [ "$kind" = postgres ]; then start_postgres_cluster "$name" "$address"; fi
  if [ "$kind" = rocky-postgres ]; then start_rocky_postgres "$name" "$address"; fi
}

# What every scenario shares (packages, secrets, the machine's /etc/hosts, the servers and
# known_hosts) changes in one lab.sh at a time: npm test runs two lanes of suites side by
# side (test/support/lanes.ts), and either may reset a scenario or bring up scale or
# trixie. A scenario's own hosts come up and go outside the lock, so one lane's `up scale`
# does not hold up the other's `reset ssh`. flock -o: the lock stays the waiting flock's,
# not inherited by the servers started under it.
locked() { # function args...
  if [ -n "${BSYNC_LAB_LOCKED:-}" ]; then "$@"; return; fi
  BSYNC_LAB_LOCKED=1 flock -o "$STATE.lock" bash "$0" __locked "$@"
}

shared_services() {
  install_packages
  ensure_operator_files
  write_machine_hosts
  start_etcd
  start_s3
  start_aws
  start_azure
  start_gcs
}

# Azurite keeps blobs in its own database: a new one, and the container made again.
# gcs.toml's stanza lives on azure-pg1 too (repo-types.test.ts): its bucket is emptied with it.
renew_azure_and_gcs() {
  stop_azure; rm -rf "$STATE/azure/data"; start_azure
  stop_gcs; rm -rf "$STATE/gcs/data"; start_gcs
}

cmd_up() {
  require_root
  local which=${1:-default}
  case "$which" in default | scale | trixie | forky) ;; *) die "up takes no scenario, or scale, trixie or forky" ;; esac
  locked shared_services
  local started=() jobs=()
  while read -r name address kind _; do
    if ! host_alive "$name"; then started+=("$name"); fi
    bring_up_host "$name" "$address" "$kind" &
    jobs+=($!)
  done < <(hosts_of "$which")
  wait_all "${jobs[@]}"
  for name in "${started[@]}"; do host_alive "$name" || die "$name did not come up"; done
  locked write_known_hosts
  if [ "$which" = forky ] && { [[ " ${started[*]} " == *" forky-ha1 "* ]] || [ -z "$(patroni_role forky-ha1)" ]; }; then
    start_forky_ha_cluster
  fi
  if [ "$which" = default ]; then
    if [[ " ${started[*]} " == *" ha-pg1 "* ]] || [ -z "$(patroni_role ha-pg1)" ]; then start_ha_cluster; fi
    apply_adopt_role
  fi
  log "up: $(hosts_of "$which" | wc -l) hosts; operator key $STATE/ssh/id_ed25519, known_hosts $STATE/ssh/known_hosts"
}

cmd_down() {
  require_root
  if [ "${1:-}" = scale ]; then
    # Only the scale scenario's hosts: the machine gets its memory back, the rest stays up.
    hosts_of scale | while read -r name _ _ _; do stop_host "$name"; rm -rf "$(host_root "$name")"; done
    if [ -d "$STATE/ssh" ]; then locked write_known_hosts; fi
    log "down: the scale scenario is gone"
    return
  fi
  locked down_everything
  log "down: the lab is gone"
}

down_everything() {
  hosts_of all | while read -r name _ _ _; do stop_host "$name"; done
  stop_etcd
  stop_s3
  stop_aws
  stop_azure
  stop_gcs
  remove_machine_hosts
  rm -rf "$STATE"
}

cmd_reset() {
  require_root
  local scenario=${1:-}
  [ -n "$(hosts_of "$scenario")" ] || die "reset needs a scenario: ssh, s3, ha, adopt, rocky, multi, posix, azure, trixie, forky or scale"
  # Secrets a newer lab.sh added (web_identity_token) are made here too; existing ones are kept.
  locked ensure_operator_files
  while read -r name _ _ _; do
    stop_host "$name"
    # Keep the host keys so operators' known_hosts stay valid; everything else is new.
    find "$(host_root "$name")" -mindepth 1 -maxdepth 1 ! -name keys -exec rm -rf {} +
  done < <(hosts_of "$scenario")
  if [ "$scenario" = ha ]; then ETCDCTL_API=3 etcdctl --endpoints "http://$ETCD_ADDRESS:2379" del --prefix /service/bsync-ha/ >/dev/null; fi
  # patroni-site.test makes forky-ha2 a cluster of its own: bsync-forky-dr.
  if [ "$scenario" = forky ]; then
    ETCDCTL_API=3 etcdctl --endpoints "http://$ETCD_ADDRESS:2379" del --prefix /service/bsync-forky-ha/ >/dev/null
    ETCDCTL_API=3 etcdctl --endpoints "http://$ETCD_ADDRESS:2379" del --prefix /service/bsync-forky-dr/ >/dev/null
  fi
  # Each scenario's own prefixes of the bucket (s3.toml: /bsync, lab.test's smoke test on
  # s3-pg1: /smoke; multi.toml: /multi; trixie.test's upgrade, from multi-pg1: /upgrade).
  # s3-keyless.test's prefixes: /keyless-auto, /keyless-web-id, /keyless-kms.
  if [ "$scenario" = s3 ]; then rm -rf "$STATE/s3/data/bsync-lab/bsync" "$STATE/s3/data/bsync-lab/smoke" "$STATE"/s3/data/bsync-lab/keyless-*; fi
  if [ "$scenario" = multi ]; then rm -rf "$STATE/s3/data/bsync-lab/multi" "$STATE/s3/data/bsync-lab/upgrade"; fi
  # ha.test's cluster with an s3 repository: /ha; schedule-lock.test's repo2 of the trixie scenario: /trixie-lock.
  if [ "$scenario" = ha ]; then rm -rf "$STATE/s3/data/bsync-lab/ha"; fi
  if [ "$scenario" = trixie ]; then rm -rf "$STATE/s3/data/bsync-lab/trixie-lock"; fi
  # forky.toml's s3 zone: /forky; forky-ha.toml's: /forky-ha; forky.test's upgrade, from trixie-pg1: /upgrade18.
  if [ "$scenario" = forky ]; then rm -rf "$STATE/s3/data/bsync-lab/forky" "$STATE/s3/data/bsync-lab/forky-ha" "$STATE/s3/data/bsync-lab/upgrade18"; fi
  # repo-target-time.test's repo2 in the versioned bucket: its objects and their old versions (s3-versions.mjs).
  if [ "$scenario" = trixie ]; then
    rm -rf "$STATE/s3/data/$S3_VERSIONED_BUCKET/trixie-ransom" \
      "$STATE/s3/data.versions/$S3_VERSIONED_BUCKET/log/trixie-ransom" "$STATE/s3/data.versions/$S3_VERSIONED_BUCKET/content/trixie-ransom"
  fi
  if [ "$scenario" = posix ]; then rm -rf "$STATE/shared/posix-repo"; fi
  if [ "$scenario" = azure ]; then locked renew_azure_and_gcs; fi
  local jobs=()
  while read -r name address kind _; do bring_up_host "$name" "$address" "$kind" & jobs+=($!); done < <(hosts_of "$scenario")
  wait_all "${jobs[@]}"
  if [ "$scenario" = ha ]; then start_ha_cluster; fi
  if [ "$scenario" = forky ]; then start_forky_ha_cluster; fi
  if [ "$scenario" = adopt ]; then apply_adopt_role; fi
  log "reset: $scenario is pristine"
}

cmd_status() {
  printf '%-14s %-11s %-14s %s\n' HOST ADDRESS KIND RUNNING
  while read -r name address kind scenario; do
    # The scale scenario is listed only while it is up.
    if [ "$scenario" = scale ] && ! host_alive "$name"; then continue; fi
    local running="down"
    if host_alive "$name"; then
      running=$(nsenter -t "$(host_pid "$name")" -p -m -- ps -e -o comm= | sort -u | grep -E '^(sshd|cron|crond|postgres|patroni)$' | tr '\n' ' ')
    fi
    printf '%-14s %-11s %-14s %s\n' "$name" "$address" "$kind" "$running"
  done < <(hosts_of all)
  local pid
  pid=$(cat "$STATE/etcd/etcd.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' etcd.lab "$ETCD_ADDRESS" etcd "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo etcd || echo down)"
  pid=$(cat "$STATE/s3/s3.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' "$S3_NAME" "$S3_ADDRESS" s3 "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "s3 (https :443)" || echo down)"
  pid=$(cat "$STATE/aws/imds.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' metadata "$IMDS_ADDRESS" imds "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "IMDSv2 (http :80)" || echo down)"
  pid=$(cat "$STATE/aws/sts.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' "$STS_NAME" "$STS_ADDRESS" sts "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "sts (https :443)" || echo down)"
  pid=$(cat "$STATE/azure/azure.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' "$AZURE_NAME" "$AZURE_ADDRESS" azure "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "azurite (https :$AZURE_PORT)" || echo down)"
  pid=$(cat "$STATE/gcs/gcs.pid" 2>/dev/null || true)
  printf '%-14s %-11s %-14s %s\n' "$GCS_NAME" "$GCS_ADDRESS" gcs "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "gcs (https :$GCS_PORT, metadata http :$GCS_METADATA_PORT)" || echo down)"
}

case "${1:-}" in
  up) shift; cmd_up "${1:-}" ;;
  down) shift; cmd_down "${1:-}" ;;
  status) cmd_status ;;
  reset) shift; cmd_reset "${1:-}" ;;
  __locked) shift; "$@" ;;
  *) echo "usage: npm run lab -- up [scale] | down [scale] | status | reset ssh|s3|ha|adopt|rocky|multi|posix|azure|scale" >&2; exit 1 ;;
esac
