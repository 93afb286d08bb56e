// bsync check on a standby site (docs/recovery.md, "A standby site"): it must be in recovery
// (standby_in_recovery, always checked: one that runs as a primary while declared standby_of
// was promoted outside bsync), and with [alert] max_replay_lag its replay must keep up with
// its source's archive. A server that does not answer cannot tell either.
import type { AlertThresholds } from '../config/inventory.js';
import { durationText } from '../config/durations.js';
import type { CheckResult, Found } from './check-result.js';
import type { StandbySiteStatus } from './standby-sites.js';

/** Whether it is the standby it is declared to be. */
function inRecoveryFound(site: StandbySiteStatus): Found {
  if (!site.running) return { state: 'unknown', value: null, what: 'PostgreSQL does not answer' };
  return site.inRecovery
    ? { state: 'held', value: 1, what: 'in recovery' }
    : {
        state: 'broken',
        value: 0,
        what: 'runs as a primary, not a standby: promoted outside bsync, or never restored as one',
      };
}

/** How far its replay is behind the source's newest archived segment. */
function replayLagFound(site: StandbySiteStatus, max: number): Found {
  if (!site.running) return { state: 'unknown', value: null, what: 'PostgreSQL does not answer' };
  if (!site.inRecovery) return { state: 'broken', value: null, what: 'runs as a primary: it replays nothing' };
  if (site.behind === null)
    return {
      state: 'unknown',
      value: null,
      what: site.newestArchived === null ? "the source's archive could not be read" : 'its replay position is unknown',
    };
  if (!site.behind)
    return { state: 'held', value: 0, what: `replayed the newest archived segment, ${site.newestArchived}` };
  const lag = site.replayLagSeconds;
  if (lag === null)
    return {
      state: 'unknown',
      value: null,
      what: `behind ${site.newestArchived}, and no transaction replayed since it started`,
    };
  return {
    state: lag > max ? 'broken' : 'held',
    value: lag,
    what: `behind ${site.newestArchived}: its last replayed transaction was committed ${durationText(lag)} ago`,
  };
}

/** The standby site's results: standby_in_recovery, and max_replay_lag when [alert] sets it. */
export function standbyResults(site: StandbySiteStatus, alert: AlertThresholds): CheckResult[] {
  const where = `zone ${site.zone} on ${site.host} (standby of ${site.standbyOf.stanza} ${site.standbyOf.repo})`;
  const checks: Array<{ threshold: CheckResult['threshold']; limit: number | true; text: string; found: Found }> = [
    {
      threshold: 'standby_in_recovery',
      limit: true,
      text: `standby_of = { zone = ${site.standbyOf.zone} }`,
      found: inRecoveryFound(site),
    },
  ];
  const max = alert.maxReplayLagSeconds;
  if (max !== undefined)
    checks.push({
      threshold: 'max_replay_lag',
      limit: max,
      text: `max_replay_lag = "${durationText(max)}"`,
      found: replayLagFound(site, max),
    });
  return checks.map(({ threshold, limit, text, found }) => ({
    threshold,
    stanza: site.standbyOf.stanza,
    repo: site.standbyOf.repo,
    host: site.host,
    state: found.state,
    limit,
    value: found.value,
    message: `${where}: ${found.what} (${text})`,
  }));
}
