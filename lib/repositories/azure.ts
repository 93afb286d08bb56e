// An Azure Blob repository: a container (and a path in it) every host of the stanza
// reaches itself, with a shared key or a SAS token that lives in pgbackrest.conf only.
import type { AzureRepo } from '../config/inventory.js';
import type { RepoType } from './types.js';
import { repoPrefix, storageOptions } from './types.js';

const azureOf = (repo: { azure?: AzureRepo }) => repo.azure as AzureRepo;

export const azureRepoType: RepoType = {
  name: 'azure',
  locationOptions(repo) {
    const azure = azureOf(repo);
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
  caCert: (repo) => azureOf(repo).caCert,
  secrets: (repo) => [azureOf(repo).key],
};
