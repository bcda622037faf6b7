import type { QdrantClient } from '../qdrant/client.js';
import type { AliasDescription, AliasOperation } from '../qdrant/types.js';
import { describeError } from './errors.js';
import type { Reporter } from './reporter.js';
import type { IfExists } from './settings.js';
import { render, say, settingValue } from './wording.js';

// Collection snapshots do not contain aliases: a backup records them in the manifest, a restore recreates them.

/** The aliases that point at `collection`, sorted. */
export function aliasesOf(aliases: AliasDescription[], collection: string): string[] {
  return aliases
    .filter((alias) => alias.collection_name === collection)
    .map((alias) => alias.alias_name)
    .sort();
}

/**
 * Points each recorded alias at its restored collection. An alias that points elsewhere is moved only with
 * if-exists: overwrite; otherwise it is kept, with a warning. A failure here is a warning too: the
 * collections are restored, and verification reports any alias that is missing.
 */
export async function restoreAliases(
  client: QdrantClient,
  restored: { target: string; aliases: string[] }[],
  serverAliases: AliasDescription[],
  ifExists: IfExists,
  reporter: Reporter,
): Promise<void> {
  const actions: AliasOperation[] = [];
  for (const { target, aliases } of restored) {
    for (const alias of aliases) {
      const current = serverAliases.find((a) => a.alias_name === alias);
      if (current?.collection_name === target) continue;
      if (current && ifExists !== 'overwrite') {
        reporter.warning(
          render(
            say`Alias ${alias} already points at ${current.collection_name}; kept (${settingValue('if-exists', ifExists)}).`,
            reporter.wording,
          ),
        );
        continue;
      }
      if (current) actions.push({ delete_alias: { alias_name: alias } });
      actions.push({ create_alias: { collection_name: target, alias_name: alias } });
    }
  }
  if (actions.length === 0) return;
  try {
    await client.updateAliases(actions);
    reporter.info(`Aliases restored: ${actions.filter((a) => 'create_alias' in a).length}.`);
  } catch (error) {
    reporter.warning(`Aliases were not restored: ${describeError(error, reporter.wording)}`);
  }
}
