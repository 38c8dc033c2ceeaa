import { Redis } from "@upstash/redis";
import { ConfigInvalid } from "./errors.ts";

export interface UpstashSettings {
  readonly url: string;
  readonly token: string;
}

/**
 * The Upstash credentials kept in a secret of their own, as `{"url": "...", "token": "..."}`.
 * Anything else is a `ConfigInvalid` that names the secret and never quotes its text (a
 * `JSON.parse` error would).
 */
export function upstashSettingsFromSecret(
  secretId: string,
  text: string | undefined,
): UpstashSettings {
  let parsed: { url?: unknown; token?: unknown } = {};
  try {
    parsed = JSON.parse(text ?? "");
  } catch {
    // reported below, without the secret's text
  }
  if (typeof parsed.url !== "string" || typeof parsed.token !== "string") {
    throw new ConfigInvalid([`secret ${secretId} must hold JSON {"url": "...", "token": "..."}`]);
  }
  return { url: parsed.url, token: parsed.token };
}

/**
 * The one place an `@upstash/redis` client is made, so tests and production take one path:
 * - `responseEncoding: false`: keyward's values are ASCII, and the local REST server does not
 *   base64-encode results;
 * - one attempt per call (`retries: 0`) and a fresh `AbortSignal.timeout` per request: the caller
 *   owns the time budget. A static signal would make the client answer `null` ("not revoked")
 *   once it fired, for that call and every later one;
 * - no auto-pipelining, telemetry or deserialization: one command is one HTTP request, results
 *   are the raw strings.
 */
/**
 * The budget of one write (a revocation, an audit entry): an operator waits for it, and a store
 * that does not answer in time is a 503 to retry, not a 12-second hang.
 */
export const WRITE_BUDGET_MS = 2_000;

/** An Upstash client error's kind without its text: client errors quote the command, which may hold claim values. */
export function upstashFailure(error: unknown): string {
  if (error instanceof Error) return error.name === "Error" ? "request failed" : error.name;
  return "request failed";
}

export function createUpstashClient(
  settings: UpstashSettings,
  timeoutMs: number,
  retries = 0,
): Redis {
  return new Redis({
    url: settings.url,
    token: settings.token,
    responseEncoding: false,
    retry: { retries, backoff: (attempt) => 20 * 2 ** attempt },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableAutoPipelining: false,
    enableTelemetry: false,
    automaticDeserialization: false,
    readYourWrites: false,
  });
}
