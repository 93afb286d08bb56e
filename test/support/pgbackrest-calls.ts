// Who runs pgBackRest on a lab host, recorded on the host itself: /usr/bin/pgbackrest is
// bind-mounted over by a wrapper that appends the caller's uid and arguments to a log, then
// runs the real binary. no-root.test and forky.test read it to prove no call ran as root.
import { onHost, sh } from './lab.js';

/** A folder of each host's own (/tmp is private per host; the lab's /usr is every host's). */
const DIR = '/tmp/bsync-pgbackrest-calls';
const LOG = `${DIR}/calls`;

/** The recording wrapper: one line per call, `uid command-words…`, then the real binary. */
const WRAPPER = ['#!/bin/sh', `printf '%s %s\\n' "$(id -u)" "$*" >> ${LOG}`, `exec ${DIR}/pgbackrest.real "$@"`].join(
  '\n',
);

export async function recordCalls(host: string): Promise<void> {
  await sh(
    host,
    [
      `mkdir -p -m 0755 ${DIR} && cp /usr/bin/pgbackrest ${DIR}/pgbackrest.real`,
      // Every user pgBackRest runs as appends to it.
      `touch ${LOG} && chmod 0666 ${LOG}`,
      `cat > ${DIR}/pgbackrest <<'BSYNC_EOF'\n${WRAPPER}\nBSYNC_EOF`,
      `chmod 0755 ${DIR}/pgbackrest && mount --bind ${DIR}/pgbackrest /usr/bin/pgbackrest`,
    ].join('\n'),
  );
}

export async function stopRecording(host: string): Promise<void> {
  await onHost(host, `umount /usr/bin/pgbackrest; rm -rf ${DIR}`);
}

/** Each host's recorded calls: uid and the words after it. */
export async function calls(hosts: string[]): Promise<Array<{ host: string; uid: number; args: string }>> {
  const all = [];
  for (const host of hosts)
    for (const line of (await sh(host, `cat ${LOG}`)).split('\n').filter(Boolean)) {
      const space = line.indexOf(' ');
      all.push({ host, uid: Number(line.slice(0, space)), args: line.slice(space + 1) });
    }
  return all;
}

/** pgBackRest's commands (2.45 to 2.60). */
const COMMANDS = new Set(
  'annotate archive-get archive-push backup check expire help info manifest repo-get repo-ls repo-put repo-rm restore server server-ping stanza-create stanza-delete stanza-upgrade start stop verify version'.split(
    ' ',
  ),
);

/** The pgBackRest command of a call: its last word that names one (an option's value may hold spaces, `--target=2026-12-07 11:26:24+00`). */
export const commandOf = (args: string) =>
  args
    .split(' ')
    .filter((word) => COMMANDS.has(word))
    .at(-1) ?? '';
