// bsync facts: what was gathered from each selected host, as JSON, secrets redacted.
import { redactFacts } from '../facts/redact.js';
import { oneConfig } from './fleet-configs.js';
import { viewFor } from '../views/view-for.js';
import type { GlobalOptions } from './output.js';
import { gatherFacts, openSession } from './session.js';

export async function factsCommand(options: GlobalOptions): Promise<number> {
  const session = await openSession(oneConfig(options.configs, 'facts'), { hosts: options.host, zones: options.zone });
  try {
    const facts = await gatherFacts(session);
    const selected = Object.fromEntries(
      session.selected.map((host) => [host.name, redactFacts(facts.get(host.name)!)]),
    );
    viewFor(options).facts(selected);
    return 0;
  } finally {
    session.close();
  }
}
