import * as core from '@actions/core';
import type { ServerState } from '../server/state.js';

/** The names under which the main step hands the post step what it started (core.saveState). */
const KEYS: Record<keyof ServerState, string> = {
  kind: 'qdrant-server',
  dockerName: 'qdrant-docker-name',
  dockerContainer: 'qdrant-docker-container',
  pid: 'qdrant-pid',
  pidMarker: 'qdrant-pid-marker',
  logFile: 'qdrant-log',
};
const MAIN_FAILED = 'main-failed';

export function saveServerState(state: ServerState): void {
  for (const [key, value] of Object.entries(state)) {
    if (value !== undefined) core.saveState(KEYS[key as keyof ServerState], value);
  }
}

export function loadServerState(): ServerState {
  const state: Record<string, string> = {};
  for (const [key, name] of Object.entries(KEYS)) {
    const value = core.getState(name);
    if (value) state[key] = value;
  }
  return state as ServerState;
}

/** Called by the main step when it fails, so the post step prints the server's log. */
export function markMainFailed(): void {
  core.saveState(MAIN_FAILED, 'true');
}

export function mainFailed(): boolean {
  return core.getState(MAIN_FAILED) === 'true';
}
