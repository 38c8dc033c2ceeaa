import type { HttpTransport } from "../http/transport.ts";
import { ConfigInvalid } from "../kernel/errors.ts";

export interface UpstashSettings {
  readonly url: string;
  readonly token: string;
  /**
   * How a verifier's REST calls (`UpstashRest`) are sent. Default: `platformTransport()`, Node's
   * own modules in Node and `fetch` elsewhere. The writers' `@upstash/redis` client sends its own.
   */
  readonly transport?: HttpTransport;
}

/**
 * What is wrong with Upstash settings given to a library: each names `upstash.url` or
 * `upstash.token` (an unset `UPSTASH_REDIS_REST_URL` is the usual cause), never their values.
 */
export function upstashProblems(settings: unknown, option = "upstash"): string[] {
  if (typeof settings !== "object" || settings === null)
    return [
      `${option} must be { url, token } (UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN)`,
    ];
  const { url, token } = settings as { url?: unknown; token?: unknown };
  const problems: string[] = [];
  if (typeof url !== "string" || !/^https?:\/\/[^\s]+$/.test(url))
    problems.push(`${option}.url must be Upstash's REST URL (UPSTASH_REDIS_REST_URL), https://…`);
  if (typeof token !== "string" || token === "")
    problems.push(`${option}.token must be Upstash's REST token (UPSTASH_REDIS_REST_TOKEN)`);
  return problems;
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
 * The budget of one write (a revocation, an audit entry): an operator waits for it, and a store
 * that does not answer in time is a 503 to retry, not a 12-second hang.
 */
export const WRITE_BUDGET_MS = 2_000;

/** An Upstash client error's kind without its text: client errors quote the command, which may hold claim values. */
export function upstashFailure(error: unknown): string {
  if (error instanceof Error) return error.name === "Error" ? "request failed" : error.name;
  return "request failed";
}
