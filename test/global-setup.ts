// Integration suites share one lab; bring it up (idempotent) before any of them runs.
// BSYNC_NO_LAB=1 (npm run test:unit) skips it; so does BSYNC_LAB_UP=1, set by
// test/support/lanes.ts (npm test), which brought it up itself before its lanes.
import { up } from './lab/lab.js';

export default async function setup(): Promise<void> {
  if (process.env.BSYNC_NO_LAB === '1' || process.env.BSYNC_LAB_UP === '1') return;
  await up();
}
