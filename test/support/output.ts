// What reaches stdout and stderr, as bytes: the views' default sink writes there, so a test
// of what bsync prints catches it here.
import { afterEach, beforeEach, vi } from 'vitest';

export interface Captured {
  stdout: string;
  stderr: string;
}

/** Hooks that catch each test's writes to stdout and stderr in the object returned (emptied before each test). */
export function captureOutput(): Captured {
  const out: Captured = { stdout: '', stderr: '' };
  beforeEach(() => {
    out.stdout = '';
    out.stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      out.stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return out;
}
