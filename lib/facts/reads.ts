// What a use of a host's facts actually read: the facts wrapped so that every read of a
// path, a user, a crontab or a whole section is noted. Compared with what the host's probe
// was asked for (FactNeeds), it shows a read nobody asked for: a fact that would look
// "absent" on every run, so a plan would recreate it. Every plan and status checks this
// (lib/operations/session.ts, usingFacts) and stops, naming the read, rather than trust such a plan;
// each part of a host's resources checks its own declared reads the same way (lib/desired/part.ts).
import type { FactNeeds } from './needs.js';
import type { HostFacts } from './types.js';

export interface FactReads {
  files: Set<string>;
  users: Set<string>;
  crontabs: Set<string>;
  sections: Set<'postgres' | 'patroni' | 'repos' | 'outcomes' | 'tlsServer' | 'storedLayout'>;
}

export function noReads(): FactReads {
  return { files: new Set(), users: new Set(), crontabs: new Set(), sections: new Set() };
}

// Names that serialisers and awaiting ask any object for: never a fact.
const NOT_FACTS = new Set(['toJSON', 'then']);

/** The facts, with every read of a keyed fact or a section noted in `reads`. */
function recordingFacts(facts: HostFacts, reads: FactReads): HostFacts {
  const keyed = <T extends object>(map: T, into: Set<string>): T =>
    new Proxy(map, {
      get(target, key) {
        if (typeof key === 'string' && !NOT_FACTS.has(key) && !(key in Object.prototype)) into.add(key);
        return Reflect.get(target, key);
      },
    });
  return new Proxy(facts, {
    get(target, key) {
      if (key === 'files') return keyed(target.files, reads.files);
      if (key === 'users') return keyed(target.users, reads.users);
      if (key === 'crontabs') return keyed(target.crontabs, reads.crontabs);
      if (key === 'postgres' || key === 'patroni' || key === 'repos' || key === 'storedLayout') reads.sections.add(key);
      if (key === 'backupOutcomes') reads.sections.add('outcomes');
      // Both come of asking for the TLS server (FactNeeds.tlsServer).
      if (key === 'tlsServer' || key === 'clock') reads.sections.add('tlsServer');
      return Reflect.get(target, key);
    },
  });
}

/** Runs `use` on one host's facts, noting every read; its result and what it read. */
export function readsOfHost<T>(facts: HostFacts, use: (facts: HostFacts) => T): { result: T; reads: FactReads } {
  const reads = noReads();
  return { result: use(recordingFacts(facts, reads)), reads };
}

/** Runs `use` on facts that note every read; its result and what it read of each host. */
export function readsOf<T>(
  facts: Map<string, HostFacts>,
  use: (facts: Map<string, HostFacts>) => T,
): { result: T; reads: Map<string, FactReads> } {
  const reads = new Map<string, FactReads>();
  const recorded = new Map(
    [...facts].map(([host, hostFacts]) => {
      const noted = noReads();
      reads.set(host, noted);
      return [host, recordingFacts(hostFacts, noted)] as const;
    }),
  );
  return { result: use(recorded), reads };
}

/** What was read but not asked for, in words (`file /etc/x, user bob, the postgres section`); empty when nothing. */
export function unaskedReads(reads: FactReads, needs: FactNeeds): string[] {
  const asked = new Set(needs.files.map((file) => file.path));
  return [
    ...[...reads.files].filter((path) => !asked.has(path)).map((path) => `file ${path}`),
    ...[...reads.users].filter((user) => !needs.users.includes(user)).map((user) => `user ${user}`),
    ...[...reads.crontabs].filter((user) => !needs.crontabs.includes(user)).map((user) => `crontab of ${user}`),
    ...[...reads.sections].filter((section) => !needs[section]).map((section) => `the ${section} section`),
  ];
}
