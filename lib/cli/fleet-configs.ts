// Which configs a run covers: each -c value is a file or a folder (its *.toml files,
// sorted by name), and each config is one cluster. Also the rule between clusters: no
// host is managed by two of them.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Inventory } from '../config/inventory.js';
import { stanzaFor } from '../config/inventory.js';
import { BsyncError } from '../errors.js';

/** Several -c values, or a folder, make a fleet run; one file keeps the one-cluster output. */
export function isFleet(values: string[]): boolean {
  return values.length > 1 || values.some(isFolder);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The config of a command that works on one cluster only (facts, unlock). */
export function oneConfig(values: string[], command: string): string {
  if (isFleet(values))
    throw new BsyncError(`${command} works on one cluster: name one config file with -c`, {
      hint: `Given: ${values.join(', ')}`,
    });
  return values[0];
}

/**
 * The config files, in the order given (a folder's in name order), each once. A path that
 * is not there stays in the list: loading it reports it, as that cluster's error.
 */
export function expandConfigs(values: string[]): string[] {
  const files: string[] = [];
  for (const value of values) {
    if (!isFolder(value)) {
      files.push(value);
      continue;
    }
    const tomls = readdirSync(value, { withFileTypes: true })
      .filter(
        (entry) =>
          entry.name.endsWith('.toml')
          && (entry.isFile() || (entry.isSymbolicLink() && !isFolder(join(value, entry.name)))),
      )
      .map((entry) => entry.name)
      .sort();
    if (tomls.length === 0) {
      throw new BsyncError('the folder holds no config: no *.toml file directly in it', {
        where: value,
        hint: 'Put one <cluster>.toml per cluster in it, or name the config files with -c.',
      });
    }
    files.push(...tomls.map((name) => join(value, name)));
  }
  const seen = new Set<string>();
  return files.filter((file) => {
    const key = realPath(file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** How a cluster is named in headings, the summary and metrics: its file name, or the path where two share a name. */
export function configLabels(files: string[]): string[] {
  const names = files.map((file) => basename(file));
  return files.map((file, index) => (names.filter((name) => name === names[index]).length > 1 ? file : names[index]));
}

/**
 * bsync writes a host's pgbackrest.conf, crontab lines and apply lease from one config, so
 * two clusters on one host (same address and SSH port) would undo each other on every apply:
 * refused, naming both files (and the stanza when both would manage the same one).
 */
export function checkHostsNotShared(inventories: Array<{ config: string; inventory: Inventory }>): void {
  const owners = new Map<string, { config: string; host: string; stanza: string }>();
  const clashes: string[] = [];
  for (const { config, inventory } of inventories) {
    for (const host of inventory.hosts) {
      const key = `${host.address}:${host.sshPort}`;
      const stanza = stanzaFor(inventory, host.zone);
      const owner = owners.get(key);
      if (!owner) {
        owners.set(key, { config, host: host.name, stanza });
      } else if (owner.config !== config) {
        const what = owner.stanza === stanza ? `both manage stanza ${stanza} on` : `both manage`;
        clashes.push(`${owner.config} (${owner.host}) and ${config} (${host.name}) ${what} host ${key}`);
      }
    }
  }
  if (clashes.length > 0) {
    throw new BsyncError(`a host belongs to two clusters:\n  ${clashes.join('\n  ')}`, {
      hint: "A host's pgbackrest.conf, crontab entries and apply lease come from one config: keep each host in one config (one cluster per host).",
    });
  }
}

/** The key that names a cluster's stanza: [cluster].stanza when set, else [cluster].name (pgedge-<name>-<zone>). */
const stanzaKey = (inventory: Inventory) =>
  inventory.cluster.stanza !== undefined ? 'cluster.stanza' : 'cluster.name';

/**
 * Two clusters that keep one stanza name in one object store (bucket or container, endpoint
 * and path) would mix their WAL and backups, and pgBackRest refuses the second one's (its
 * system identifier is not the stanza's): refused, naming both files and keys. One config's
 * zones are checked when it is read (lib/config/repo-clashes.ts); folder repositories are on
 * each cluster's own hosts, which checkHostsNotShared keeps apart.
 */
export function checkStanzasNotShared(inventories: Array<{ config: string; inventory: Inventory }>): void {
  const owners = new Map<string, { config: string; here: string }>();
  const clashes: string[] = [];
  for (const { config, inventory } of inventories) {
    const zones = new Set(inventory.hosts.filter((host) => host.role === 'postgres').map((host) => host.zone));
    for (const zone of zones) {
      const stanza = stanzaFor(inventory, zone);
      for (const repo of inventory.repos) {
        if (repo.sharedLocation === undefined) continue;
        const here = `${config} (zone ${zone}: ${stanzaKey(inventory)}, ${inventory.repoTable ? 'repo' : `repo[${repo.key}]`})`;
        const key = `${stanza} ${repo.sharedLocation}`;
        const owner = owners.get(key);
        if (owner === undefined) owners.set(key, { config, here });
        else if (owner.config !== config)
          clashes.push(`${owner.here} and ${here} both keep stanza ${stanza} in ${repo.sharedLocation}`);
      }
    }
  }
  if (clashes.length > 0) {
    throw new BsyncError(`two clusters share a stanza in one repository:\n  ${clashes.join('\n  ')}`, {
      hint: "Their WAL and backups would mix, and pgBackRest refuses the second cluster's (its system identifier is not the stanza's): give one of them another stanza (cluster.stanza, or another cluster.name) or another repository path.",
    });
  }
}
