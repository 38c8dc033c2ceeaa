import type { Environment } from "../../shared/config/env.ts";
import { readWriterConfig } from "../../shared/config/writer-config.ts";
import { createLogger, type Logger } from "../../shared/observability/log.ts";
import { awsOperationDeps } from "../../shared/operations/aws-deps.ts";
import { type TickOutcome, tick } from "../../shared/operations/tick.ts";

/**
 * The rotation function as deployed: settings from the environment (every problem at once), the
 * writers' stores, then one `tick` per scheduled event. Only this function deletes key material.
 */
export async function createRotationFromEnv(
  env: Environment,
  log: Logger = createLogger("keyward-rotation"),
): Promise<() => Promise<TickOutcome>> {
  const config = readWriterConfig(env);
  const deps = await awsOperationDeps(config, env, { deletesMaterial: true });
  return async () => {
    const outcome = await tick(deps, deps.clock.now());
    (outcome.status === "failed" ? log.error : log.info)("rotation tick", { ...outcome });
    return outcome;
  };
}
