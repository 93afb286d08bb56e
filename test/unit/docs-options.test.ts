// docs/config.md says from which pgBackRest release each of its rows applies, and that
// must be what bsync's option lists say: the generated "Every option, by release" table is
// the lists' (npm run docs:options), and each key table's "pgBackRest option (from)" cell
// names options the lists have, from the release it names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../lib/pgbackrest-options/index.js';
import { DOC, documented } from '../support/options-doc.js';

const text = readFileSync(DOC, 'utf8');

/** `repoN-path` → repo-path, `--type` → type: the name in pgBackRest's table. */
const tableName = (written: string) => written.replace(/^--/, '').replace(/^(repo|pg)N-/, '$1-');

/** The oldest release whose list has the option (command-line ones too), or undefined. */
const from = (name: string) => RELEASES.find((release) => release.options[name])?.version;

/** Each key table row's cell under "pgBackRest option (from)", with its line. */
function fromCells(): Array<{ line: number; row: string; cell: string }> {
  const cells: Array<{ line: number; row: string; cell: string }> = [];
  let column = -1;
  text.split('\n').forEach((line, index) => {
    if (!line.startsWith('|')) {
      column = -1;
      return;
    }
    const parts = line
      .slice(1, -1)
      .split('|')
      .map((part) => part.trim());
    if (line.startsWith('| key |')) column = parts.indexOf('pgBackRest option (from)');
    else if (column >= 0 && line.startsWith('| `')) cells.push({ line: index + 1, row: parts[0], cell: parts[column] });
  });
  return cells;
}

describe('docs/config.md', () => {
  it('holds the option table the lists make (run `npm run docs:options` after changing a list)', () => {
    expect(text).toBe(documented(text));
  });

  it('every row of every key table says from which pgBackRest release it applies, or that pgBackRest never sees it', () => {
    const cells = fromCells();
    // The tables of [cluster], [ssh], [repo], retention, [repo.s3], [repo.azure], [backup_user], [schedule], [patroni], [verify], [[host]].
    expect(cells.length).toBeGreaterThanOrEqual(55);
    for (const { line, row, cell } of cells) {
      const where = `docs/config.md:${line} ${row}`;
      if (cell === '—') continue;
      const versions = [...cell.matchAll(/\(([0-9]+\.[0-9]+)\)/g)].map((match) => match[1]);
      expect(versions, where).toHaveLength(1);
      const options = [...cell.matchAll(/`([^`]+)`/g)]
        .map((match) => match[1])
        .filter((name) => /^(--)?[a-z][a-zN0-9-]*$/.test(name) && name !== 'backup');
      expect(options.length, where).toBeGreaterThan(0);
      for (const option of options) expect(from(tableName(option)), `${where}: ${option}`).toBe(versions[0]);
    }
  });
});
