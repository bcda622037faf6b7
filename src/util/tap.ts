import { Transform } from 'node:stream';

/** A stream stage that lets `onChunk` see every chunk (to hash or count it), changing nothing. */
export function tap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}
