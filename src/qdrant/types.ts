import type { Schemas } from '@qdrant/js-client-rest';

// Request and response shapes come from Qdrant's own published schema types, so a misspelt field is a
// compile error. Imported as types only: nothing of that client is bundled.
export type VersionInfo = Schemas['VersionInfo'];
export type CollectionInfo = Schemas['CollectionInfo'];
export type CollectionParams = Schemas['CollectionParams'];
export type SnapshotDescription = Schemas['SnapshotDescription'];
export type AliasDescription = Schemas['AliasDescription'];
export type AliasOperation = Schemas['AliasOperations'];
export type CountResult = Schemas['CountResult'];
export type CollectionsResponse = Schemas['CollectionsResponse'];
export type CollectionsAliasesResponse = Schemas['CollectionsAliasesResponse'];
export type SnapshotPriority = Schemas['SnapshotPriority'];
