import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';

/** Buffers the file is read into, each reused once the socket has taken its bytes: at most 1 MiB in flight. */
const POOL_SIZE = 4;
const CHUNK_BYTES = 256 * 1024;

export interface MultipartFileRequest {
  url: URL;
  headers: Record<string, string>;
  /** The form field and the file name the file is sent under. */
  field: string;
  filename: string;
  file: string;
  signal: AbortSignal;
  agent: http.Agent;
}

export interface MultipartFileResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  /** The body as far as it came. */
  text: string;
  /** Set when the body broke off before its end (the connection dropped). */
  bodyError?: unknown;
}

/**
 * POSTs `file` as the one part of a `multipart/form-data` body, reading it into a small pool of reused
 * buffers: the next chunk is read only when the socket has taken one, so memory stays constant whatever
 * the file's size. Stops writing when the server answers early (a 403 before the body), and resolves
 * with the answer. Rejects with the raw error when the request fails before an answer, and with the
 * signal's reason when the signal fires first.
 */
export async function postMultipartFile(request: MultipartFileRequest): Promise<MultipartFileResponse> {
  const { signal } = request;
  signal.throwIfAborted();
  const handle = await open(request.file, 'r');
  try {
    const { size } = await handle.stat();
    signal.throwIfAborted();
    const boundary = `----qdrant-snapshot-action-${randomBytes(16).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\n` +
        `Content-Disposition: form-data; name="${quoted(request.field)}"; filename="${quoted(request.filename)}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const transport = request.url.protocol === 'https:' ? https : http;
    const req = transport.request(request.url, {
      method: 'POST',
      agent: request.agent,
      headers: {
        ...request.headers,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size + tail.length),
      },
    });

    // Writing stops once the request settles, fails or the server has answered.
    let stopWriting = false;
    let wakeWriter: (() => void) | undefined;
    const stop = () => {
      stopWriting = true;
      wakeWriter?.();
    };

    const answer = new Promise<MultipartFileResponse>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        stop();
        outcome();
      };
      const fail = (error: unknown) =>
        settle(() => {
          req.destroy();
          reject(error);
        });
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let answered = false;
      // Once the server has answered, a write that fails (it closed the connection under a body it did not
      // want) is expected: the answer is what counts.
      req.on('error', (error) => {
        if (!answered) fail(error);
      });
      req.on('response', (res) => {
        answered = true;
        // An early answer (before the whole body went out): nothing more of the body will be read.
        stop();
        const chunks: Buffer[] = [];
        const done = (bodyError?: unknown) =>
          settle(() => {
            // A body left half-written leaves the connection unusable: close it rather than reuse it.
            if (!req.writableFinished) req.destroy();
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              ...(bodyError === undefined ? {} : { bodyError }),
            });
          });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done());
        res.on('error', (error) => done(error));
        res.on('close', () => {
          if (!res.complete) done(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        });
      });
    });

    const write = async () => {
      const pool: Buffer[] = Array.from({ length: POOL_SIZE }, () => Buffer.allocUnsafe(CHUNK_BYTES));
      const release = (buffer: Buffer) => {
        pool.push(buffer);
        wakeWriter?.();
      };
      const acquire = async (): Promise<Buffer | undefined> => {
        while (!stopWriting && pool.length === 0) {
          await new Promise<void>((resolve) => (wakeWriter = resolve));
          wakeWriter = undefined;
        }
        return stopWriting ? undefined : pool.pop();
      };
      req.write(head);
      let position = 0;
      while (position < size) {
        const buffer = await acquire();
        if (!buffer) return;
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, size - position),
          position,
        );
        if (stopWriting) return;
        if (bytesRead === 0) throw new Error(`${request.file} shrank while it was being uploaded.`);
        position += bytesRead;
        req.write(buffer.subarray(0, bytesRead), () => release(buffer));
      }
      if (!stopWriting) req.end(tail);
    };
    // Handled below; marked now, as it may settle while the file is still being written.
    answer.catch(() => {});
    // A failure to read the file fails the request; `answer` then rejects with it.
    await write().catch((error: unknown) => req.destroy(error as Error));
    return await answer;
  } finally {
    await handle.close();
  }
}

/** A form-data name or file name, quoted as browsers do. */
function quoted(name: string): string {
  return name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
