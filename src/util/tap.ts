import { Transform } from 'node:stream';

/**
 * Room for 64 KiB before a tap pushes back (the default is 16 KiB). With the default, a shard snapshot
 * that Qdrant streams in small pieces took 52-62 s instead of 0.8-0.9 s for 67 MiB on Node 20: undici,
 * paused by the backpressure, re-read and re-copied its socket buffer (bench/README.md, Cluster). More
 * room costs: 256 KiB made a 2 GiB download 20 % slower and 1 MiB raised its peak RSS by 14 MiB.
 */
const ROOM = 64 * 1024;

/** A stream stage that lets `onChunk` see every chunk (to hash or count it), changing nothing. */
export function tap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    highWaterMark: ROOM,
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}
