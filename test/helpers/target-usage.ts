// Which kind of Qdrant each test ran against, so that CI can say how many tests ran on a real server.
// test/helpers/target-usage-setup.ts (a vitest setup file) writes one JSON line per test that ran to
// $QDRANT_TARGET_LOG when it is set.

export type TargetKind = 'emulator' | 'real-node' | 'real-cluster' | 'shared-server';

// Targets started outside a test (beforeAll) serve every test of the file; those started inside a test
// (beforeEach or the test itself) serve that test only.
const inFile = new Set<TargetKind>();
let inTest: Set<TargetKind> | undefined;

export function noteTarget(kind: TargetKind): void {
  (inTest ?? inFile).add(kind);
}

export function beginTest(): void {
  inTest = new Set();
}

/** The kinds of Qdrant the test that just ended used. */
export function endTest(): TargetKind[] {
  const used = new Set([...inFile, ...(inTest ?? [])]);
  inTest = undefined;
  return [...used].sort();
}
