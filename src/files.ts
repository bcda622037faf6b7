/**
 * A file name for a collection's snapshot: artifact uploads refuse " : < > | * ? and some file systems
 * refuse more, so anything outside a safe set becomes '_' and a numeric suffix keeps names unique.
 */
export function snapshotFileName(collection: string, taken: Set<string>, extension: string): string {
  const base = collection.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'collection';
  let candidate = `${base}${extension}`;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}${extension}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}
