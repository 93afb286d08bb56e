// The settings that keep a server restored from a stanza's backup apart from that stanza
// (a verify's throwaway, a clone): its own port and socket, its own name, and no archiving,
// so it can never push WAL into its source's repository. Appended to the restored
// postgresql.auto.conf, they win over anything the copy brought along.

export interface IsolatedServer {
  /** May be a shell variable the writing script expands (`$PORT`). */
  port: string;
  socketDir: string;
  clusterName: string;
  /** archive-get from the source's repository, with the options that make it read locally. */
  restoreCommand: string;
  /** Off for a verify (it never needs to read), on for a clone an operator queries. */
  hotStandby: boolean;
  /** Empty for a verify (its host may lack the libraries); a clone keeps the source's. */
  clearPreloadLibraries: boolean;
}

export function isolatedSettings(server: IsolatedServer, comment: string): string {
  return [
    `# ${comment}`,
    `port = ${server.port}`,
    `listen_addresses = 'localhost'`,
    `unix_socket_directories = '${server.socketDir}'`,
    `cluster_name = '${server.clusterName}'`,
    `archive_mode = off`,
    `archive_command = ''`,
    `archive_library = ''`,
    `hot_standby = ${server.hotStandby ? 'on' : 'off'}`,
    ...(server.clearPreloadLibraries ? [`shared_preload_libraries = ''`] : []),
    `synchronous_standby_names = ''`,
    `primary_conninfo = ''`,
    `ssl = off`,
    `restore_command = '${server.restoreCommand.replace(/'/g, "''")}'`,
  ].join('\n');
}
