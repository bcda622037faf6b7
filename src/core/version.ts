import { ActionError } from './errors.js';
import { advice, render, say, settingValue } from './wording.js';
import type { Reporter } from './reporter.js';

function majorMinor(version: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * A Qdrant snapshot recovers on the version that made it or the next minor release only. Refuse anything
 * further apart before uploading, naming both versions, unless the user opted out.
 */
export function checkVersionCompatible(
  backupVersion: string,
  serverVersion: string,
  url: string,
  allowMismatch: boolean,
  reporter: Reporter,
): void {
  const from = majorMinor(backupVersion);
  const to = majorMinor(serverVersion);
  const compatible = from && to && from[0] === to[0] && (to[1] === from[1] || to[1] === from[1] + 1);
  if (compatible) return;
  const accepted = from ? `${from[0]}.${from[1]}.x or ${from[0]}.${from[1] + 1}.x` : 'the same minor version';
  const message = `The backup was made with Qdrant ${backupVersion}; the server at ${url} runs ${serverVersion}. A snapshot restores on the same or the next minor version only (${accepted}).`;
  if (allowMismatch) {
    reporter.warning(
      render(
        say`${message} Trying anyway (${settingValue('allow-version-mismatch', true)}).`,
        reporter.wording,
      ),
    );
    return;
  }
  throw new ActionError(
    say`${message} Nothing was restored. Run a Qdrant of a compatible version${advice('compatible-qdrant')}, or use ${settingValue('allow-version-mismatch', true)} to try anyway.`,
  );
}
