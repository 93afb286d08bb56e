// What bsync verify says per stanza, for people, for JSON and for Prometheus.
import type { Metric } from '../metrics/prom.js';
import { phasesText } from '../resources/phases.js';
import { humanAge, humanBytes } from '../status/render-text.js';
import type { RecoveryMarker, VerifyVerdict } from './verdict.js';

export interface StanzaVerification extends VerifyVerdict {
  stanza: string;
  zone: number;
  host: string;
  label: string | null;
  backupType: string | null;
  backupAgeSeconds: number | null;
  sizeBytes: number | null;
  recoveryPoint: RecoveryMarker | null;
  elapsedSeconds: number;
}

export interface VerifyReport {
  format: 'bsync-verify';
  version: 1;
  generatedAt: string;
  configPath: string;
  stanzas: StanzaVerification[];
}

function describe(result: StanzaVerification): string[] {
  const head = `${result.stanza} on ${result.host}: ${result.ok ? 'verified' : `FAILED${result.failedStep ? ` at ${result.failedStep}` : ''}`}`;
  const lines = [head];
  if (result.label) {
    const restored = result.restoreSeconds === null ? '' : `, restored in ${result.restoreSeconds.toFixed(1)} s`;
    const started = result.startSeconds === null ? '' : `, server up in ${result.startSeconds.toFixed(1)} s`;
    const disk = result.scratchBytes === null ? '' : `, ${humanBytes(result.scratchBytes)} on disk`;
    lines.push(
      `  backup ${result.label} (${result.backupType}, ${humanAge(result.backupAgeSeconds)} old, ${humanBytes(result.sizeBytes)})${restored}${started}${disk}`,
    );
  }
  if (result.phases.length > 0) lines.push(`  phases: ${phasesText(result.phases, result.elapsedSeconds)}`);
  // A failed check says why on its own line below.
  if (result.message && result.failedStep !== 'checks') lines.push(`  ${result.message}`);
  for (const check of result.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  if (result.leftoversRemoved) lines.push('  removed what an interrupted verify had left behind first');
  if (result.cleanedUp === false) lines.push('  the scratch folder could not be removed');
  return lines;
}

export function renderVerifyText(report: VerifyReport): string {
  const verified = report.stanzas.filter((result) => result.ok).length;
  const lines = report.stanzas.flatMap(describe);
  lines.push(
    '',
    `Verify: ${verified} of ${report.stanzas.length} stanza${report.stanzas.length === 1 ? '' : 's'} verified.`,
  );
  return `${lines.join('\n')}\n`;
}

export function verifyMetrics(report: VerifyReport): Metric[] {
  const per = (pick: (result: StanzaVerification) => number | null) =>
    report.stanzas.flatMap((result) => {
      const value = pick(result);
      return value === null ? [] : [{ labels: { stanza: result.stanza, host: result.host }, value }];
    });
  return [
    {
      name: 'bsync_verify_success',
      help: "Whether the last verify restored the stanza's backup and passed every check (1) or not (0).",
      type: 'gauge',
      samples: per((result) => (result.ok ? 1 : 0)),
    },
    {
      name: 'bsync_verify_duration_seconds',
      help: 'How long the last verify of the stanza took, restore, start and checks included.',
      type: 'gauge',
      samples: per((result) => Math.round(result.elapsedSeconds * 1000) / 1000),
    },
    {
      name: 'bsync_verify_restore_seconds',
      help: 'How long the restore of the last verify took.',
      type: 'gauge',
      samples: per((result) => result.restoreSeconds),
    },
    {
      name: 'bsync_verify_phase_seconds',
      help: 'How long each phase of the last verify of the stanza took (preparation, pgBackRest restore, start, checks, cleanup).',
      type: 'gauge',
      samples: report.stanzas.flatMap((result) =>
        result.phases.map((part) => ({
          labels: { stanza: result.stanza, host: result.host, phase: part.phase },
          value: part.seconds,
        })),
      ),
    },
    {
      name: 'bsync_verify_restored_bytes',
      help: 'Database size of the backup the last verify restored.',
      type: 'gauge',
      samples: per((result) => result.sizeBytes),
    },
    {
      name: 'bsync_verify_scratch_bytes',
      help: 'Peak disk use of the last verify: the scratch folder with the server up.',
      type: 'gauge',
      samples: per((result) => result.scratchBytes),
    },
    {
      name: 'bsync_verify_backup_age_seconds',
      help: 'Age of the backup the last verify restored.',
      type: 'gauge',
      samples: per((result) => result.backupAgeSeconds),
    },
  ];
}
