// An Azure Blob repository: a container (and a path in it) every host of the stanza
// reaches itself, with a shared key or a SAS token that lives in pgbackrest.conf only.
import type { Secret } from '../secret.js';
import {
  STORAGE_OPTIONS,
  type StorageAccess,
  declaredVersioned,
  storageOf,
  storageOptions,
  storageSchema,
} from './storage.js';
import type { RepoType } from './types.js';
import { repoPrefix, tableOf } from './types.js';

/** [repo.azure] as the Inventory holds it. */
export interface AzureRepo extends StorageAccess {
  account: string;
  container: string;
  /** The shared key (key_type shared) or a SAS token (key_type sas). */
  key: Secret;
  keyType: 'shared' | 'sas';
  /** Absent: pgBackRest's default, <account>.blob.core.windows.net. */
  endpoint?: string;
}

export const azureRepoType: RepoType = {
  name: 'azure',
  describe: 'an Azure Blob container',
  table: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['account', 'container', 'key'],
      properties: {
        account: {
          type: 'string',
          pattern: '^[a-z0-9]{3,24}$',
          'x-expected': 'an Azure storage account name (3-24 lower-case letters and digits)',
        },
        container: {
          type: 'string',
          pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
          'x-expected': 'an Azure container name (3-63 lower-case letters, digits and single hyphens)',
        },
        key: {
          $ref: '#/definitions/secret',
          description: 'The account\'s shared key, or a SAS token with key_type = "sas".',
        },
        key_type: { enum: ['shared', 'sas'], default: 'shared' },
        endpoint: {
          $ref: '#/definitions/endpoint',
          description: "The blob service's host name; absent: <account>.blob.core.windows.net.",
        },
        ...storageSchema('path for an emulator or a private endpoint that serves /<account>/<container>.'),
      },
    },
    caFile: 'ca_file',
    convert: (table, values): AzureRepo => ({
      account: table.account as string,
      container: table.container as string,
      key: values.secret('key'),
      keyType: (table.key_type as AzureRepo['keyType'] | undefined) ?? 'shared',
      ...(table.endpoint ? { endpoint: table.endpoint as string } : {}),
      ...storageOf(table, values),
    }),
  },
  managedOptions: `azure-.*|${STORAGE_OPTIONS}`,
  // The endpoint is pgBackRest's storage host (the other keys' names match their options').
  tableKeys: { 'storage-host': 'endpoint' },
  locationOptions(repo) {
    const azure = tableOf<AzureRepo>(repo);
    const p = repoPrefix(repo);
    const options: ReturnType<RepoType['locationOptions']> = [
      [`${p}type`, 'azure'],
      [`${p}azure-account`, azure.account],
      [`${p}azure-container`, azure.container],
      [`${p}azure-key`, { secret: azure.key }],
    ];
    // Written only when not pgBackRest's default, so a conf written by hand compares the same.
    if (azure.keyType !== 'shared') options.push([`${p}azure-key-type`, azure.keyType]);
    if (azure.endpoint !== undefined) options.push([`${p}storage-host`, azure.endpoint]);
    if (azure.uriStyle !== 'host') options.push([`${p}azure-uri-style`, azure.uriStyle]);
    return [...options, ...storageOptions(repo, azure)];
  },
  versioned: declaredVersioned,
  caCert: (repo) => tableOf<AzureRepo>(repo).caCert,
  secrets: (repo) => [tableOf<AzureRepo>(repo).key],
};
