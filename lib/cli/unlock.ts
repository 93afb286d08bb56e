// bsync unlock: clear one host's apply lease by hand (like terraform force-unlock).
import { BsyncError } from '../errors.js';
import { oneConfig } from './fleet-configs.js';
import { PROGRESS_VIEWS } from '../views/progress.js';
import { viewFor } from '../views/view-for.js';
import type { GlobalOptions } from './output.js';
import { unlockHost } from '../operations/unlock.js';

export async function unlockCommand(options: GlobalOptions & { leaseId: string }): Promise<number> {
  if (options.host?.length !== 1) throw new BsyncError('unlock works on one host: name it with --host NAME');
  if (!/^[0-9a-f]{16}$/.test(options.leaseId))
    throw new BsyncError(
      `${JSON.stringify(options.leaseId)} is not a lease id (16 hex digits, as the message naming the holder shows)`,
    );
  const said = await unlockHost(oneConfig(options.configs, 'unlock'), options.host[0], options.leaseId);
  viewFor(PROGRESS_VIEWS, options).progress(said);
  return 0;
}
