// OS family and init system: Debian and Rocky paths differ, and restarts go through
// systemctl only where systemd is PID 1.
import type { Probe } from './probe.js';
import type { OsFacts, OsFamily } from './types.js';

export const osProbe: Probe = {
  name: 'os',
  applies: () => true,
  // Read by the shell's own `read`, no process: os-release's ID fields are plain words
  // (quoted or not), and reading them runs nothing from the file, unlike sourcing it.
  command: () =>
    [
      `i= v= k=; while IFS= read -r l || [ -n "$l" ]; do x=\${l#*=}; x=\${x#[\\"\\']}; x=\${x%[\\"\\']}; case $l in ID=*) i=$x ;; VERSION_ID=*) v=$x ;; ID_LIKE=*) k=$x ;; esac; done </etc/os-release`,
      `printf '%s|%s|%s\\n' "$i" "$v" "$k"`,
      `read -r c </proc/1/comm && printf '%s\\n' "$c" || echo unknown`,
      // The cores this host lets its processes use (nproc honours affinity and cgroup cpusets) and its memory.
      `m=; while read -r k n u; do [ "$k" = MemTotal: ] && m=$n && break; done </proc/meminfo; printf '%s|%s\\n' "$(nproc 2>/dev/null)" "$m"`,
    ].join('\n'),
  parse(output) {
    const [idLine = '', pid1 = 'unknown', capacityLine = ''] = output.split('\n');
    const [id = '', versionId = '', idLike = ''] = idLine.split('|');
    return { os: { id, versionId, family: osFamily(id, idLike), pid1: pid1.trim(), ...capacityOf(capacityLine) } };
  },
};

/** `cores|memory kB` as the probe prints them; what is not a number is left out (the host did not tell). */
function capacityOf(line: string): Pick<OsFacts, 'cpus' | 'memoryBytes'> {
  const [cpus = '', kilobytes = ''] = line.trim().split('|');
  return {
    ...(/^[1-9][0-9]{0,4}$/.test(cpus) ? { cpus: Number(cpus) } : {}),
    ...(/^[1-9][0-9]{0,12}$/.test(kilobytes) ? { memoryBytes: Number(kilobytes) * 1024 } : {}),
  };
}

function osFamily(id: string, idLike: string): OsFamily {
  const names = `${id} ${idLike}`.split(/\s+/);
  if (names.includes('debian') || names.includes('ubuntu')) return 'debian';
  if (names.some((name) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(name))) return 'rhel';
  return 'unknown';
}
