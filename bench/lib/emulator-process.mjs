// The Qdrant REST emulator in a process of its own (started with child_process.fork by emulator.mjs),
// so that the RSS and CPU time measured for the CLI or the action are theirs alone.
//   node bench/lib/emulator-process.mjs DATA_DIR [SNAPSHOT_DELAY_MS]
// Messages over the IPC channel: {id, op: 'addFromSnapshot', name, file, sha256} backs a collection by a
// pre-made snapshot file (never loaded), {id, op: 'snapshotFiles', collection} lists its snapshot files.
import { startEmulator } from '../../test/emulator/index.js';

const [dataDir, delay] = process.argv.slice(2);
if (!dataDir || !process.send) {
  console.error('usage: fork(emulator-process.mjs, [DATA_DIR, SNAPSHOT_DELAY_MS])');
  process.exit(2);
}
const emu = await startEmulator({ dataDir, snapshotCreateDelayMs: Number(delay) || 0 });

process.on('message', async (message) => {
  const { id, op } = message;
  try {
    let result;
    if (op === 'addFromSnapshot') {
      await emu.addCollectionFromSnapshot(message.name, message.file, { sha256: message.sha256 });
    } else if (op === 'snapshotFiles') {
      result = emu.snapshotFiles(message.collection);
    } else {
      throw new Error(`unknown op ${op}`);
    }
    process.send({ id, ok: true, result });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});

let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await emu.close().catch(() => {});
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.send({ op: 'ready', url: emu.url });
