import { Redis } from "@upstash/redis";
import type { UpstashSettings } from "./settings.ts";

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
