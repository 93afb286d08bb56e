# Sourced by lab.sh: leaves the adopt scenario's hosts the way the Ansible role
# setup_backrest (../shared/seed/, with init_server and install_backrest before it) leaves
# a zone with an SSH repository, so bsync's first plan can be checked against it. Each step
# says which of the role's tasks it stands for. Runs once per fresh host pair.

ADOPT_PG=adopt-pg1
ADOPT_BACKUP=adopt-backup1
ADOPT_STANZA=pgedge-adopt-1
# The role's default backup_password.
ADOPT_PASSWORD=secret

adopt_role_applied() { [ -f "$(host_root "$ADOPT_PG")/role-applied" ] && [ -f "$(host_root "$ADOPT_BACKUP")/role-applied" ]; }

apply_adopt_role() {
  adopt_role_applied && return 0
  local pg=$ADOPT_PG backup=$ADOPT_BACKUP stanza=$ADOPT_STANZA pass pg_key backup_key
  log "adopt: setting up $pg and $backup as the Ansible role does"
  # backup_repo_cipher: the role derives it from the cluster name and zone.
  pass=$(printf 'adopt-1' | sha256sum | cut -c1-64)
  (umask 077; printf '%s\n' "$ADOPT_PASSWORD" > "$STATE/secrets/adopt_backup_password")

  # init_server: the repository user, and an RSA key pair for it and for postgres.
  in_host "$backup" "id backrest >/dev/null 2>&1 || useradd -m -s /bin/bash backrest
    chown backrest:backrest /var/log/pgbackrest
    runuser -u backrest -- sh -c 'cd; mkdir -p -m 0700 .ssh; [ -f .ssh/id_rsa ] || ssh-keygen -q -t rsa -b 3072 -N \"\" -C backrest@$backup -f .ssh/id_rsa'"
  in_host "$pg" "runuser -u postgres -- sh -c 'cd; mkdir -p -m 0700 .ssh; [ -f .ssh/id_rsa ] || ssh-keygen -q -t rsa -b 3072 -N \"\" -C postgres@$pg -f .ssh/id_rsa'"
  pg_key=$(in_host "$pg" "cat ~postgres/.ssh/id_rsa.pub")
  backup_key=$(in_host "$backup" "cat ~backrest/.ssh/id_rsa.pub")

  # SSH access: each side's key authorized on the other, host keys from ssh-keyscan.
  in_host "$backup" "printf '%s\n' '$pg_key' >> ~backrest/.ssh/authorized_keys && chmod 0600 ~backrest/.ssh/authorized_keys
    ssh-keyscan $pg 2>/dev/null | grep -v "^#" | sort > ~backrest/.ssh/known_hosts
    chown backrest:backrest ~backrest/.ssh/authorized_keys ~backrest/.ssh/known_hosts"
  in_host "$pg" "printf '%s\n' '$backup_key' >> ~postgres/.ssh/authorized_keys && chmod 0600 ~postgres/.ssh/authorized_keys
    ssh-keyscan $backup 2>/dev/null | grep -v "^#" | sort > ~postgres/.ssh/known_hosts
    chown postgres:postgres ~postgres/.ssh/authorized_keys ~postgres/.ssh/known_hosts"

  # 1. pgbackrest.conf, from the role's template (mode 0644, as its template task leaves it).
  in_host "$pg" "mkdir -p /etc/pgbackrest && cat > /etc/pgbackrest/pgbackrest.conf <<'CONF'
[$stanza]
pg1-port=5432
pg1-path=/var/lib/postgresql/$PG_VERSION/main
pg1-user=postgres
pg1-database=postgres

[global]
log-path=/var/log/pgbackrest
start-fast=y
repo1-path=/home/backrest
repo1-retention-full=1
repo1-retention-diff=6
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$pass
repo1-type=posix
repo1-host=$backup
repo1-host-user=backrest
repo1-hardlink=y
CONF
chmod 0644 /etc/pgbackrest/pgbackrest.conf"
  in_host "$backup" "mkdir -p /etc/pgbackrest && cat > /etc/pgbackrest/pgbackrest.conf <<'CONF'
[$stanza]
pg1-host=$pg
pg1-host-user=postgres
pg1-port=5432
pg1-path=/var/lib/postgresql/$PG_VERSION/main
pg1-user=postgres
pg1-database=postgres

[global]
log-path=/var/log/pgbackrest
start-fast=y
repo1-path=/home/backrest
repo1-retention-full=1
repo1-retention-diff=6
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$pass
repo1-type=posix
repo1-hardlink=y
CONF
chmod 0644 /etc/pgbackrest/pgbackrest.conf"

  # 3. archive_mode and archive_command in postgresql.conf; 4. the backup user, its
  # pg_hba.conf line (appended, md5) and .pgpass lines. Then a restart for archive_mode.
  in_host "$pg" "set -e
    conf=/etc/postgresql/$PG_VERSION/main
    printf '%s\n' \"archive_mode = on\" \"archive_command = 'pgbackrest --stanza=$stanza archive-push %p'\" >> \$conf/postgresql.conf
    printf 'host    all    backrest    127.0.1.43/32    md5\n' >> \$conf/pg_hba.conf
    pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main restart
    cd / && runuser -u postgres -- psql -Xq -c \"CREATE ROLE backrest WITH LOGIN REPLICATION PASSWORD '$ADOPT_PASSWORD'\"
    runuser -u postgres -- sh -c 'umask 077; printf \"localhost:5432:*:backrest:$ADOPT_PASSWORD\n\" > ~/.pgpass'"
  in_host "$backup" "runuser -u backrest -- sh -c 'umask 077; printf \"$pg:5432:*:backrest:$ADOPT_PASSWORD\n\" > ~/.pgpass'"

  # 5. The initial backup from the backup host; 6. cron jobs for the repository user, the
  # way Ansible's cron module writes them (a #Ansible: line above each job).
  in_host "$backup" "set -e; cd /
    runuser -u backrest -- pgbackrest --stanza=$stanza stanza-create
    runuser -u backrest -- pgbackrest --stanza=$stanza check
    runuser -u backrest -- pgbackrest --stanza=$stanza --type=full backup
    printf '%s\n' '#Ansible: pgbackrest full backup $stanza' '10 0 * * 0 pgbackrest --stanza=$stanza --type=full backup' \
      '#Ansible: pgbackrest diff backup $stanza' '10 0 * * 1-6 pgbackrest --stanza=$stanza --type=diff backup' | crontab -u backrest -"
  touch "$(host_root "$pg")/role-applied" "$(host_root "$backup")/role-applied"
}
