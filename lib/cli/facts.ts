// bsync facts: what was gathered from each selected host, as JSON, secrets redacted.
import { readShownFacts } from '../operations/facts.js';
import { FACTS_VIEWS } from '../views/facts.js';
import { viewFor } from '../views/view-for.js';
import { oneConfig } from './fleet-configs.js';
import type { GlobalOptions } from './output.js';

export async function factsCommand(options: GlobalOptions): Promise<number> {
  const shown = await readShownFacts(oneConfig(options.configs, 'facts'), { hosts: options.host, zones: options.zone });
  viewFor(FACTS_VIEWS, options).facts(shown);
  return 0;
}
