// The config `bsync init` writes, as sections of keys and the comments that say where each
// value was found and what the user must still do. Rendered through lib/formats/toml.ts
// only: every key, value and comment, host-reported or not, goes through its writer.
import { tomlComment, tomlKey, tomlLine, type TomlValue } from '../formats/toml.js';

export interface DraftEntry {
  key: string;
  value: TomlValue;
  /** After the value, on its line. */
  comment?: string;
}

export interface DraftSection {
  /** `cluster`, `repo.s3`; an array table (`[[host]]`) sets `array`. */
  table: string;
  array?: boolean;
  /** Above the table's header, a comment line each. */
  notes: string[];
  entries: DraftEntry[];
}

export interface Draft {
  /** The file's opening comment. */
  header: string[];
  sections: DraftSection[];
  /** Local files the user must create before validate (secrets), each with what it holds. */
  secretFiles: Array<{ path: string; holds: string }>;
  /** Each host's zone and what it was found to be (primary, replica, backup host). */
  hosts: Array<{ name: string; zone: number; found: string }>;
}

const header = (section: DraftSection) => {
  const name = section.table.split('.').map(tomlKey).join('.');
  return section.array ? `[[${name}]]` : `[${name}]`;
};

/** The draft as TOML text. */
export function renderDraft(draft: Draft): string {
  const blocks = [
    draft.header.map(tomlComment).join('\n'),
    ...draft.sections.map((section) =>
      [
        ...section.notes.map(tomlComment),
        header(section),
        ...section.entries.map((entry) => tomlLine(entry.key, entry.value, entry.comment)),
      ].join('\n'),
    ),
  ];
  return `${blocks.join('\n\n')}\n`;
}
