import { open } from 'node:fs/promises';

/** The last `count` lines of `text` (a trailing newline does not count as a line). */
export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  return lines.slice(-count).join('\n');
}

/** Replaces every occurrence of the secret with ***, so a server log can be printed or thrown safely. */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

/** The last `count` lines of a log file, reading at most its last `maxBytes`; '' when it cannot be read. */
export async function readTail(file: string, count: number, maxBytes = 256 * 1024): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return lastLines(buffer.toString('utf8'), count);
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}
