// Unit tests sign and check saved plans with a plan key of their own, never the one in the
// home of whoever runs them: each test file (and the bsync it starts) gets a fresh one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.BSYNC_PLAN_KEY_FILE = join(mkdtempSync(join(tmpdir(), 'bsync-plan-key-')), 'plan.key');
