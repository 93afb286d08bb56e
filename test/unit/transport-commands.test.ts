import { describe, expect, it } from 'vitest';
import { remoteCommand } from '../../lib/transport/commands.js';
import { shq, withStagedStdin } from '../../lib/formats/shell.js';

describe('how a command reaches its user', () => {
  it('logged in as root: root directly, others through runuser', () => {
    expect(remoteCommand('root', 'id -un', undefined)).toBe('id -un');
    expect(remoteCommand('root', 'id -un', 'postgres')).toBe(
      `runuser -u postgres -- /bin/sh -c 'cd ~ 2>/dev/null || cd /; id -un'`,
    );
  });

  it('logged in as someone else: sudo -n for root and for other users, nothing for itself', () => {
    expect(remoteCommand('ops', 'id -un', 'ops')).toBe('id -un');
    expect(remoteCommand('ops', 'id -un', undefined)).toBe(`sudo -n /bin/sh -c 'id -un'`);
    expect(remoteCommand('ops', 'id -un', 'postgres')).toBe(
      `sudo -n -u postgres -H /bin/sh -c 'cd ~ 2>/dev/null || cd /; id -un'`,
    );
  });

  it('stages stdin and checks its size before the command reads it', () => {
    const line = remoteCommand('root', 'cat > /x', undefined, 42);
    expect(line).toContain('head -c 42 >"$bsync_in"');
    expect(line).toContain('-eq 42 ]');
    expect(line).toContain('( cat > /x\n) <"$bsync_in"');
    expect(withStagedStdin('true', 0)).toContain('head -c 0');
  });

  it('quotes anything that is not a plain word', () => {
    expect(shq('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shq("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(shq('')).toBe("''");
  });
});
