import { nodeTransport } from "./node-transport.ts";

/**
 * One HTTP exchange as keyward's verifiers make them (a Secrets Manager read, an Upstash command):
 * a small request, the whole answer as text, within a time limit. Behind this narrow interface so
 * that each runtime sends it its cheapest way (`platformTransport`): Node's own modules in Node,
 * where loading `fetch` costs a cold start more than the request itself and each round trip
 * about a third more (docs/benchmarks.md); the platform's `fetch` elsewhere (Workers, Deno).
 */

export interface HttpRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The whole exchange, connecting included, ends within this or fails with a `TimeoutError`. */
  readonly timeoutMs: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends a request; answers with any status, throws only when no answer came (refused, reset, timed
 * out). The error's `name` says which (`TimeoutError` for the time limit); callers report the name,
 * as a message may quote the URL.
 */
export type HttpTransport = (request: HttpRequest) => Promise<HttpAnswer>;

/** The platform's `fetch`: what the edge uses. */
export const fetchTransport: HttpTransport = async ({ url, method, headers, body, timeoutMs }) => {
  const response = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.text() };
};

/**
 * The runtime's cheapest transport, the default of every client that takes one: `nodeTransport()`
 * where Node's built-in modules load (`process.getBuiltinModule`, Node 20.16 and 22.3 on),
 * `fetchTransport` anywhere else.
 */
export function platformTransport(): HttpTransport {
  const node = (globalThis as { process?: { getBuiltinModule?: unknown } }).process;
  return typeof node?.getBuiltinModule === "function" ? nodeTransport() : fetchTransport;
}
