// The shape of lib/pgbackrest-options/options-<version>.json: pgBackRest's own option table
// for one release, as test/support/pgbackrest-options.ts derives it.

export interface OptionInfo {
  /** Where pgbackrest.conf may hold it: `global` ([global] or a stanza), `stanza` (a stanza only), or nowhere. */
  section: 'global' | 'stanza' | 'command-line';
  /** pgBackRest's type: boolean, integer, time, size, string, string-id, path, list, hash. */
  type: string;
  /** A string option that also takes a boolean, written y/n (backup-standby from 2.5x: y, prefer, n). */
  boolLike?: true;
  /** The values it takes, when pgBackRest lists them. */
  allowed?: string[];
  /** pgBackRest's allow-range: numbers (times in seconds), or sizes such as "4PiB". */
  min?: number | string;
  max?: number | string;
  default?: string;
  /**
   * A range or default that depends on another option's value (`option`, unindexed): for each
   * of its values, [min, max] and the default. compress-level by compress-type (config.yaml
   * writes it from 2.56; 2.45's and 2.55's binaries enforce the same ranges at load),
   * repoN-storage-upload-chunk-size by repoN-type. A value out of its range is refused at load.
   */
  by?: {
    option: string;
    /** [min, max] for each value. */
    ranges?: Record<string, Array<number | string>>;
    defaults?: Record<string, string>;
  };
  /** A secret: pgBackRest redacts it. */
  secure?: true;
  /** repoN-* and pgN-* options: written with an index, 1 to max. */
  index?: { prefix: 'repo' | 'pg'; max: number; pattern: string };
  /**
   * pgBackRest reads it only when another option is set (`option`), and, with `list`, only
   * when that option has one of these values (booleans "true"/"false"); otherwise a
   * pgbackrest.conf line of it is silently ignored. From the release's config.yaml `depend`.
   */
  depend?: { option: string; list?: string[] };
  /** A beta feature of this release: pgBackRest refuses it unless its internal `beta` option is set. */
  beta?: true;
  /** The commands whose help lists it. */
  commands: string[];
}

export interface OptionData {
  /** The pgBackRest release the data describes. */
  version: string;
  source: string;
  options: Record<string, OptionInfo>;
  /** Options of a later release's table that this release does not have. */
  later: Record<string, OptionInfo>;
}
