import type { TestProject } from "vitest/node";
import { type ServiceEndpoints, startServices } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    services: ServiceEndpoints;
  }
}

/** Starts the real services once for the integration suites and stops them afterwards, pass or fail. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startServices();
  project.provide("services", {
    redisUrl: services.redisUrl,
    upstashUrl: services.upstashUrl,
    upstashToken: services.upstashToken,
    motoUrl: services.motoUrl,
    pids: services.pids,
  });
  return () => services.stop();
}
