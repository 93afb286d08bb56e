// OS family and init system: Debian and Rocky paths differ, and restarts go through
// systemctl only where systemd is PID 1.
import type { Probe } from './probe.js';
import type { OsFamily } from './types.js';

export const osProbe: Probe = {
  name: 'os',
  applies: () => true,
  command: () =>
    `( . /etc/os-release 2>/dev/null; printf '%s|%s|%s\\n' "$ID" "$VERSION_ID" "$ID_LIKE" ); cat /proc/1/comm 2>/dev/null || echo unknown`,
  parse(output) {
    const [idLine = '', pid1 = 'unknown'] = output.split('\n');
    const [id = '', versionId = '', idLike = ''] = idLine.split('|');
    return { os: { id, versionId, family: osFamily(id, idLike), pid1: pid1.trim() } };
  },
};

function osFamily(id: string, idLike: string): OsFamily {
  const names = `${id} ${idLike}`.split(/\s+/);
  if (names.includes('debian') || names.includes('ubuntu')) return 'debian';
  if (names.some((name) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(name))) return 'rhel';
  return 'unknown';
}
