// Every operation, by the kind its plans record: `bsync apply FILE` looks a saved plan's
// kind up here. Adding an operation is its module and its line below (and its kind in
// OPERATION_KINDS, lib/plan/types.ts, which saved plans are read against).
import { BsyncError } from '../errors.js';
import type { OperationKind, PlanOperation } from '../plan/types.js';
import { printable } from '../printable.js';
import { RequestError } from '../recovery/requests.js';
import { BACKUP } from './backup.js';
import { CLONE } from './clone.js';
import type { Operation } from './operation.js';
import type { Planning } from './planning.js';
import { PROMOTE } from './promote.js';
import { RESTORE, STANDBY } from './restore.js';

export const OPERATIONS = {
  restore: RESTORE,
  standby: STANDBY,
  clone: CLONE,
  backup: BACKUP,
  promote: PROMOTE,
} satisfies Record<OperationKind, Operation<unknown>>;

/** The Planning of an operation the command line asks for, its options (by their request names) decoded by its kind's decoder. */
export function commandLinePlanning(kind: OperationKind, options: Record<string, unknown>): Planning {
  const entry: Operation<unknown> = OPERATIONS[kind];
  return entry.planning(entry.decode(options), 'command line');
}

/**
 * The Planning of a saved operation plan (apply FILE): its request decoded by its kind's
 * decoder, the command line's own. A value the command line could not give is refused,
 * naming the file and the request's field.
 */
export function savedOperationPlanning(operation: PlanOperation, file: string): Planning {
  const entry: Operation<unknown> = OPERATIONS[operation.kind];
  try {
    return entry.planning(entry.decode(operation.request), 'saved plan');
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    throw new BsyncError(error.message, {
      where: `${file} (operation.request${error.field ? `.${printable(error.field)}` : ''})`,
      hint: `${error.hint ? `${error.hint}\n  ` : ''}A saved plan's request holds only what the command line can say, and this one does not. Make the plan again with bsync ${entry.command} --out FILE.`,
    });
  }
}
