/**
 * What the main step hands the post step (core.saveState / core.getState): enough to find, show the log of
 * and stop exactly the server it started, and nothing else.
 */
export const STATE = {
  /** 'docker' or 'binary'; absent when nothing was started. */
  kind: 'qdrant-server',
  dockerName: 'qdrant-docker-name',
  dockerContainer: 'qdrant-docker-container',
  pid: 'qdrant-pid',
  /** Identifies the process behind the pid (its start time), so a reused pid is never killed. */
  pidMarker: 'qdrant-pid-marker',
  logFile: 'qdrant-log',
  mainFailed: 'main-failed',
} as const;

/** A server the main step launched, before it is known to be ready. */
export interface LaunchedServer {
  url: string;
  /** How the messages name it, e.g. "Qdrant v1.18.3 (container qdrant-snapshot-1-ab12)". */
  label: string;
  /** Why the server can no longer become ready (it exited), or undefined while it runs. */
  exited(): Promise<string | undefined>;
  /** The last lines of its log. */
  logTail(lines: number): Promise<string>;
}
