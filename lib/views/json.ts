// The JSON view: one document on stdout per command (schemas/), progress still on stderr.
// An error is machine output too: one object on stdout, and the person's message on stderr.
import { errorJson } from './error.js';
import { fleetDocument } from './fleet.js';
import type { Sink } from './sink.js';
import { stderrParts } from './stderr.js';
import type { View } from './view.js';

export function jsonView(sink: Sink): View {
  const { errorLine, ...stderr } = stderrParts(sink);
  return {
    ...stderr,
    plan: (plan) => sink.json(plan),
    // The plan is in the report, once apply is done.
    applyPlan: () => {},
    applyReport: (report) => sink.json(report),
    status: (report) => sink.json(report),
    check: (report) => sink.json(report),
    verify: (report) => sink.json(report),
    // On one line, as validate --json always printed it.
    validate: ({ warnings, hosts, identity }) =>
      sink.json({ valid: true, warnings, hosts, ...(identity ? { identity } : {}) }, 0),
    init: (result) => sink.json(result),
    facts: (facts) => sink.json(facts),
    // A fleet run's document holds every cluster's: written once all are done.
    cluster: () => {},
    fleet: ({ command, outcomes, exitCode }) => sink.json(fleetDocument(command, outcomes, exitCode)),
    error: (error) => {
      sink.json({ error: errorJson(error) });
      errorLine(error);
    },
  };
}
