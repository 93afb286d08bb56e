// A folder with its owner and mode: /etc/pgbackrest, /var/log/pgbackrest, ~/.ssh, the repository.
import { shq } from '../formats/shell.js';
import type { FileFacts } from '../facts/types.js';
import { ownershipFields, typeConflict } from './file.js';
import { asHolderOf } from './folder-holder.js';
import type { FileOwnership } from './remote.js';
import type { Change } from './types.js';

interface DesiredDirectory extends FileOwnership {
  path: string;
}

export function planDirectory(desired: DesiredDirectory, actual: FileFacts | undefined): Change | null {
  const path = shq(desired.path);
  const ensure = {
    command: asHolderOf(
      desired.path,
      `mkdir -p ${path} && chown ${shq(`${desired.owner}:${desired.group}`)} ${path} && chmod ${shq(desired.mode)} ${path}`,
      desired.owner,
    ),
  };
  if (!actual?.exists) return { action: 'create', fields: ownershipFields(desired), steps: [ensure] };
  const conflict = typeConflict(desired.path, 'dir', actual);
  if (conflict) return conflict;
  const fields = ownershipFields(desired, actual);
  return fields.length === 0 ? null : { action: 'update', fields, steps: [ensure] };
}
