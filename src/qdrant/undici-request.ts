// undici's index also loads fetch, WebSocket, the caches and the mocks: 257 KB of the published CLI,
// which must stay under 1.5 MB. The agent and `request` are all the client uses, so only they are loaded.
// The paths are undici's own modules (the package has no `exports` map); the version is pinned and
// test/unit/undici-request.test.ts fails if they move.
import type { Agent as AgentType, Dispatcher } from 'undici';
// @ts-expect-error -- an internal module of undici, without types: typed by the casts below
import AgentModule from 'undici/lib/dispatcher/agent.js';
// @ts-expect-error -- an internal module of undici, without types: typed by the casts below
import requestModule from 'undici/lib/api/api-request.js';

export const Agent = AgentModule as typeof AgentType;
export type Agent = AgentType;

const apiRequest = requestModule as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher };

/** undici's `request(url, options)`: one request through `options.dispatcher`. */
export function request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const target = new URL(url);
  const { dispatcher, ...rest } = options;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
  });
}
