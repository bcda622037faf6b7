/**
 * What a start leaves for the teardown: enough to find, show the log of and stop exactly the server it
 * started, and nothing else. The action keeps it across steps (the post step stops the server).
 */
export interface ServerState {
  kind?: 'docker' | 'binary';
  dockerName?: string;
  dockerContainer?: string;
  pid?: string;
  /** Identifies the process behind the pid (its start time), so a reused pid is never killed. */
  pidMarker?: string;
  logFile?: string;
}

/** What a start needs to know, and nothing of the action's other inputs. */
export interface StartOptions {
  kind: 'docker' | 'binary';
  /** A release tag such as v1.18.3. */
  qdrantVersion: string;
  apiKey?: string;
  startTimeoutSeconds: number;
  /** start: binary: where the release archives are (a mirror); GitHub releases by default. */
  downloadBaseUrl?: string;
  /** Called at once with each thing started, so it is stopped even if the start fails half-way. */
  record(state: ServerState): void;
}

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
