import type { Manifest } from '../backup-format/manifest.js';
import type { QdrantClient } from '../qdrant/client.js';
import type { AliasDescription } from '../qdrant/types.js';
import { ActionError } from './errors.js';
import type { Reporter } from './reporter.js';
import type { Target } from './selection.js';
import type { IfExists } from './settings.js';
import { checkVersionCompatible } from './version.js';
import { say, setting, settingValue } from './wording.js';

/** A collection of the backup, where it goes, and what is there now. */
export interface Planned extends Target {
  exists: boolean;
  /** The collection that the target name reaches as an alias: Qdrant resolves an upload there. */
  aliasOf?: string;
}

export interface RestorePlan {
  qdrantVersion: string;
  collections: Planned[];
  /** The server's aliases before the restore. */
  serverAliases: AliasDescription[];
}

export interface PlanOptions {
  ifExists: IfExists;
  allowVersionMismatch: boolean;
}

/**
 * Reads the server (version, collections, aliases) and decides what the restore does, refusing before the
 * first upload when the version is too far apart or when if-exists forbids touching what is there. A
 * backed-up name that is an alias on the server counts as existing.
 */
export async function planRestore(
  client: QdrantClient,
  manifest: Manifest,
  targets: Target[],
  options: PlanOptions,
  reporter: Reporter,
): Promise<RestorePlan> {
  const { version } = await client.version();
  checkVersionCompatible(
    manifest.qdrant_version,
    version,
    client.url,
    options.allowVersionMismatch,
    reporter,
  );
  const existing = new Set(await client.listCollections());
  const serverAliases = await client.aliases();
  const collections = targets.map((target) => {
    const aliasOf = serverAliases.find((a) => a.alias_name === target.target)?.collection_name;
    return { ...target, exists: existing.has(target.target) || aliasOf !== undefined, aliasOf };
  });
  checkConflicts(collections, serverAliases, options, client.url);
  return { qdrantVersion: version, collections, serverAliases };
}

function checkConflicts(
  plan: Planned[],
  serverAliases: AliasDescription[],
  options: PlanOptions,
  url: string,
): void {
  // An alias name would lead the upload into the collection it points at: never a collection of the
  // backup's name, so not even 'overwrite' may write there.
  const aliased = plan.filter((p) => p.aliasOf !== undefined);
  if (options.ifExists === 'overwrite' && aliased.length > 0) {
    throw new ActionError(
      say`Nothing was restored: ${aliased.map((p) => `${p.target} is an alias of collection ${p.aliasOf}`).join(', ')} at ${url}; a restore there would replace ${aliased.length === 1 ? 'that collection' : 'those collections'}, which ${settingValue('if-exists', 'overwrite')} never does. Delete the alias first, or restore under other names with ${setting('rename')}.`,
    );
  }
  if (options.ifExists !== 'fail') return;
  const clashes = plan
    .filter((p) => p.exists)
    .map((p) => (p.aliasOf ? `alias ${p.target} (of collection ${p.aliasOf})` : `collection ${p.target}`));
  // Target aliases are empty when aliases are left out.
  const aliasClashes = plan.flatMap((p) =>
    p.aliases
      .map((alias) => ({ alias, current: serverAliases.find((a) => a.alias_name === alias) }))
      .filter(({ current }) => current && current.collection_name !== p.target)
      .map(({ alias, current }) => `alias ${alias} (points at ${current!.collection_name})`),
  );
  if (clashes.length + aliasClashes.length > 0) {
    // A rename moves collections, not the backup's aliases: those clash whatever the new names.
    const way =
      aliasClashes.length > 0 && clashes.length === 0
        ? say`or leave the backup's aliases out with ${settingValue('aliases', false)}`
        : aliasClashes.length > 0
          ? say`or restore under other names with ${setting('rename')} and leave the backup's aliases out with ${settingValue('aliases', false)}`
          : say`or restore under other names with ${setting('rename')}`;
    throw new ActionError(
      say`Nothing was restored: ${[...clashes, ...aliasClashes].join(', ')} already exist(s) at ${url}, and ${settingValue('if-exists', 'fail')} keeps them untouched. Set ${setting('if-exists')} to skip (keep them) or overwrite (replace them), ${way}.`,
    );
  }
}
