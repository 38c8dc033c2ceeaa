import { Redis } from "@upstash/redis";
import { type Services, startServices } from "../support/services.ts";

let running: Promise<Services> | undefined;

/** The real services, started once for every benchmark that needs them, stopped at exit. */
export function benchServices(): Promise<Services> {
  running ??= startServices();
  return running;
}

export async function stopBenchServices(): Promise<void> {
  if (running !== undefined) await (await running).stop();
}

/**
 * The baselines' client: plain `@upstash/redis` as an application would make it (its own
 * retries and no time budget), only told what the local REST server needs (no base64) and kept
 * from batching or reporting, so one call is one round trip.
 */
export function bareUpstash(url: string, token: string): Redis {
  return new Redis({
    url,
    token,
    responseEncoding: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
  });
}
