// patroni.yml's replica creation, edited in place: the declared methods and the pgbackrest
// method land under postgresql, every other line and comment stays, a second plan finds
// nothing to change, and a file that is not YAML is a conflict, never rewritten.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pgbackrestMethod, planReplicaMethods } from '../../lib/resources/patroni-local.js';
import { knownText } from '../../lib/resources/types.js';

const PATRONI_YML = `# written by the lab
scope: bsync-ha
name: ha-pg2
postgresql:
  listen: 127.0.1.32:5432   # its own address
  data_dir: /var/lib/postgresql/15/patroni
  parameters:
    unix_socket_directories: /var/run/postgresql
`;

const file = (content: string) => ({ exists: true, kind: 'file' as const, content });
const S = { stanza: 's', pgbackrest: 'pgbackrest' };

describe('patroni.yml replica creation', () => {
  it('adds the methods and the pgbackrest method, keeps the rest, reloads this member; then nothing to change', () => {
    const change = planReplicaMethods(
      '/etc/patroni/patroni.yml',
      file(PATRONI_YML),
      ['pgbackrest', 'basebackup'],
      { stanza: 'pgedge-lab-1', pgbackrest: 'pgbackrest' },
      'bsync-ha',
    );
    expect(change?.action).toBe('update');
    const written = knownText(change!.diff!.after)!;
    expect(written).toContain('# written by the lab');
    expect(written).toContain('listen: 127.0.1.32:5432 # its own address');
    const parsed = parse(written);
    expect(parsed.postgresql.create_replica_methods).toEqual(['pgbackrest', 'basebackup']);
    expect(parsed.postgresql.pgbackrest).toEqual({
      command: 'pgbackrest --stanza=pgedge-lab-1 --delta --type=standby restore',
      keep_data: true,
      no_params: true,
    });
    expect(parsed.postgresql.data_dir).toBe('/var/lib/postgresql/15/patroni');
    expect(change!.steps.at(-1)!.command).toBe('patronictl -c /etc/patroni/patroni.yml reload bsync-ha ha-pg2 --force');
    expect(
      planReplicaMethods(
        '/etc/patroni/patroni.yml',
        file(written),
        ['pgbackrest', 'basebackup'],
        { stanza: 'pgedge-lab-1', pgbackrest: 'pgbackrest' },
        'bsync-ha',
      ),
    ).toBeNull();
  });

  it('changes only what differs: another order of methods is a change, a method already right is kept', () => {
    const right = `${PATRONI_YML}  create_replica_methods: [basebackup]\n`;
    const change = planReplicaMethods('/p.yml', file(right), ['pgbackrest', 'basebackup'], S, 'c');
    expect(parse(knownText(change!.diff!.after)!).postgresql.create_replica_methods).toEqual([
      'pgbackrest',
      'basebackup',
    ]);
    const basebackupOnly = planReplicaMethods('/p.yml', file(right), ['basebackup'], S, 'c');
    expect(basebackupOnly).toBeNull();
    expect(pgbackrestMethod(S).no_params).toBe(true);
  });

  it('a file that does not read as YAML, or is missing, is a conflict', () => {
    const broken = planReplicaMethods('/p.yml', file('scope: [unclosed\n'), ['pgbackrest'], S, 'c');
    expect(broken?.conflict).toMatch(/^\/p\.yml does not read as YAML/);
    expect(broken?.steps).toEqual([]);
    expect(planReplicaMethods('/p.yml', { exists: false }, ['pgbackrest'], S, 'c')?.conflict).toMatch(/not there/);
  });
});
