// Integration suites share one lab; bring it up (idempotent) before any of them runs.
// BSYNC_NO_LAB=1 (npm run test:unit) skips it.
import { up } from './lab/lab.js';

export default async function setup(): Promise<void> {
  if (process.env.BSYNC_NO_LAB === '1') return;
  await up();
}
