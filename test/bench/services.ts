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
