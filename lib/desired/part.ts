// A part of a host's resources declares what it reads of the host's facts once, beside the
// code that adds its resources: the host's builder adds the parts a host has, and its probe
// asks for the union of the same parts' reads (lib/desired/needs.ts), so there is one list
// to keep, not a twin to keep in step. Each adder runs on facts that note its reads: one that
// reads a fact its part does not declare stops the plan, naming the part and the fact.
import { BsyncError } from '../errors.js';
import { needsOf, type FactNeeds, type NeedsPart } from '../facts/needs.js';
import { readsOfHost, unaskedReads } from '../facts/reads.js';
import type { HostFacts } from '../facts/types.js';
import type { HostResources } from './builder.js';

/** Adds resources to a host from its own facts (and what else it is given). */
type Adder = (out: HostResources, facts: HostFacts, ...args: never[]) => unknown;

export type Part<T extends Record<string, Adder>> = T & {
  readonly name: string;
  /** What the adders read of the host's facts: what its probe asks for on their behalf. */
  readonly reads: NeedsPart[];
};

/** A part whose adders are held to its declared reads. */
export function declarePart<T extends Record<string, Adder>>(name: string, reads: NeedsPart[], adders: T): Part<T> {
  const declared = needsOf(reads);
  const held = Object.fromEntries(
    Object.entries(adders).map(([key, add]) => [
      key,
      (out: HostResources, facts: HostFacts, ...args: never[]) => {
        const { result, reads: read } = readsOfHost(facts, (noted) => add(out, noted, ...args));
        const undeclared = unaskedReads(read, declared);
        if (undeclared.length > 0) {
          throw new BsyncError(`${out.host}: ${name} read facts it does not declare: ${undeclared.join(', ')}`, {
            hint: 'This is a bug in bsync (the part reads what its declaration in lib/desired/ leaves out); nothing was planned or changed. Please report it with this message.',
          });
        }
        return result;
      },
    ]),
  ) as T;
  return { ...held, name, reads };
}

/** What a host's probe asks for: the reads of the parts it has (an absent part: none there). */
export function partsNeeds(parts: Record<string, { reads: NeedsPart[] } | undefined>): FactNeeds {
  return needsOf(Object.values(parts).flatMap((part) => part?.reads ?? []));
}
