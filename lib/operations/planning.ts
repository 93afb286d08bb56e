// How plan and apply make a plan: the declared state's way (declared.ts), or an operation's
// (operation.ts). Both commands run whichever Planning they are handed the same way.
import type { Diagnostic } from '../diagnostics.js';
import { diagnosticLine } from '../views/diagnostics.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { NeedsPart } from '../facts/needs.js';
import type { HostFacts } from '../facts/types.js';
import type { PlannedChanges } from '../plan/build.js';
import type { Plan } from '../plan/types.js';
import type { Semaphore } from '../semaphore.js';
import type { ProgressView } from '../views/progress.js';
import type { HostSelection } from './selection.js';
import { gatherFacts, openSession, type Session } from './session.js';

/** What a Planning reports once every action is done (the new backup's label and size), said to the view. */
export type AfterReport = (session: Session, say: (message: string) => void) => Promise<void>;

/** A plan, and what its run reports after, made from what planning found (no state kept between the two). */
export interface Planned extends PlannedChanges {
  after?: AfterReport;
  /**
   * Once every action is done, apply plans and applies again: the plan brought a zone its
   * first data (lib/desired/first-data.ts), and the rest of its declared state reads the
   * server that now runs.
   */
  planAgain?: boolean;
  /** What planning found worth telling that does not stop it (a streaming standby whose source primary is not known). */
  warnings?: Diagnostic[];
}

export interface Planning {
  plan(session: Session, facts: Map<string, HostFacts>, nonce?: string): Promise<Planned>;
  /** The hosts it concerns, instead of the command line's --host and --zone (known once the config is read). */
  selection?: HostSelection | ((inventory: Inventory) => HostSelection);
  /** Facts it reads beyond the declared state's. */
  extraNeeds?: (inventory: Inventory, host: HostSpec) => NeedsPart[];
  /** How to make the same plan again, for the messages about saved plans. */
  again: string;
  /** What apply says when a plan asks for another round (planAgain), and after a saved plan's run; the default: a zone has its first data. */
  againSays?: { planning: string; saved: string };
}

/** The hosts a Planning concerns, or the command line's. */
export function selectionOf(planning: Planning, inventory: Inventory, given: HostSelection): HostSelection {
  const { selection } = planning;
  return typeof selection === 'function' ? selection(inventory) : (selection ?? given);
}

/** One cluster's plan: a session on the hosts the Planning concerns, their facts, the plan; nothing changes. */
export async function planCluster(
  inventory: Inventory,
  view: ProgressView,
  context: { selection: HostSelection; slots?: Semaphore },
  planning: Planning,
): Promise<Plan> {
  const session = await openSession(inventory, selectionOf(planning, inventory, context.selection), {
    slots: context.slots,
    extraNeeds: planning.extraNeeds,
  });
  try {
    view.progress(`Gathering facts from ${session.involved.length} host${session.involved.length === 1 ? '' : 's'}...`);
    const planned = await planning.plan(session, await gatherFacts(session));
    for (const warning of planned.warnings ?? []) view.progress(diagnosticLine(warning));
    return planned.plan;
  } finally {
    session.close();
  }
}
