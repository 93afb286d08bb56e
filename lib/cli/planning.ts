// Facts → resources → plan, shared by plan and apply so both decide the same way; an
// operation (restore, backup) brings a Planning of its own and the same commands run it.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { desiredResources } from '../desired/index.js';
import type { NeedsPart } from '../facts/needs.js';
import { buildPlan, type PlannedChanges } from '../plan/build.js';
import { healthProblems } from '../plan/health.js';
import type { HostFacts } from '../facts/types.js';
import { usingFacts, type HostSelection, type Session } from './session.js';

export function planFromFacts(session: Session, facts: Map<string, HostFacts>, nonce?: string): PlannedChanges {
  const hosts = session.selected.map((host) => host.name);
  return usingFacts(session, facts, (checked) => {
    const resources = desiredResources(session.inventory, checked);
    return buildPlan(session.inventory, hosts, resources, nonce, healthProblems(session.inventory, checked, hosts));
  });
}

/** How plan and apply make a plan: the declared state's way, or an operation's. */
export interface Planning {
  plan(session: Session, facts: Map<string, HostFacts>, nonce?: string): Promise<PlannedChanges>;
  /** The hosts it concerns, instead of the command line's --host and --zone (known once the config is read). */
  selection?: HostSelection | ((inventory: Inventory) => HostSelection);
  /** Facts it reads beyond the declared state's. */
  extraNeeds?: (inventory: Inventory, host: HostSpec) => NeedsPart[];
  /** How to make the same plan again, for the messages about saved plans. */
  again: string;
  /** Runs once every action is done (the new backup's label and size): what it tells goes to the view. */
  after?: (session: Session, say: (message: string) => void) => Promise<void>;
}

export const DECLARED_STATE: Planning = {
  plan: async (session, facts, nonce) => planFromFacts(session, facts, nonce),
  again: 'bsync plan --out FILE',
};

/** The hosts a Planning concerns, or the command line's. */
export function selectionOf(planning: Planning, inventory: Inventory, given: HostSelection): HostSelection {
  const { selection } = planning;
  return typeof selection === 'function' ? selection(inventory) : (selection ?? given);
}
