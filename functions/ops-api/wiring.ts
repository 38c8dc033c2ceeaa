import { parseOperators } from "../../shared/access/operators.ts";
import type { Environment } from "../../shared/config/env.ts";
import { EnvReader } from "../../shared/config/env.ts";
import { readWriterConfig } from "../../shared/config/writer-config.ts";
import { type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { awsOperationDeps } from "../aws/deps.ts";
import { createOpsApp } from "./app.ts";

/**
 * The ops API as deployed: both keyrings in Secrets Manager (written through the SDK, never
 * deleting material: that is the rotation function's), revocations, journal and usage figures in Upstash,
 * events on EventBridge, operators from KEYWARD_OPERATORS or a secret
 * (KEYWARD_OPERATORS_SECRET_ID). Every setting is checked at once.
 */
export async function createOpsAppFromEnv(env: Environment, write: LineWriter = stdoutWriter) {
  const read = new EnvReader(env);
  const operatorsInline = read.string("KEYWARD_OPERATORS");
  const operatorsSecret = read.string("KEYWARD_OPERATORS_SECRET_ID");
  if (operatorsInline === undefined && operatorsSecret === undefined) {
    read.problem(
      "KEYWARD_OPERATORS (JSON) or KEYWARD_OPERATORS_SECRET_ID is required: who may call the ops API",
    );
  }
  const config = readWriterConfig(env, read);
  const { usage, receipts, jwksConsumers, refreshes, secretString, ...deps } =
    await awsOperationDeps(config, env, {
      deletesMaterial: false,
      functionName: "ops-api",
      write,
    });
  const operators = parseOperators(operatorsInline ?? (await secretString(operatorsSecret ?? "")));
  return createOpsApp(deps, {
    operators,
    usage,
    receipts,
    jwksConsumers,
    families: refreshes,
    keyrings: { sessions: deps.keyring("sessions") },
    receiptWindowMs: config.receiptWindowMs,
  });
}
