import type { Environment } from "../../shared/config/env.ts";
import { readVerifierConfig, type VerifierConfig } from "../../shared/config/verifier-config.ts";
import { nodeTransport } from "../../shared/http/node-transport.ts";
import { type Clock, systemClock } from "../../shared/kernel/clock.ts";
import {
  readerFromEnvironment,
  type SecretsManagerReader,
} from "../../shared/keyring-store/secrets-reader.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { reportingChanges } from "../../shared/receipts/instance-recorder.ts";
import { directNode } from "../../shared/tokens/direct.ts";
import { type UpstashSettings, upstashSettingsFromSecret } from "../../shared/upstash/settings.ts";
import {
  readOrLog,
  reportMirrorOverflow,
  upstashRevocationSources,
  usageRecorderFor,
  verificationFromConfig,
  verifierReceipts,
} from "../../shared/verification/assembly.ts";
import { createAuthorizer } from "./authorizer.ts";
import { reportingLag } from "./lag-metric.ts";

export interface Overrides {
  readonly clock?: Clock;
  readonly write?: LineWriter;
}

/**
 * Builds the authorizer from its environment (docs/settings.md). Runs during the
 * Lambda init phase: checks every setting, reads the Upstash credentials, loads the keyring and
 * the revocation mirror at once, so the first request decides without a round trip. AWS region,
 * endpoint and credentials come from the standard AWS variables, read from `env` like the rest.
 * Requests go over Node's `http`/`https` (`nodeTransport`): loading `fetch` would cost the cold
 * start more than the requests themselves.
 */
export async function createAuthorizerFromEnv(env: Environment, overrides: Overrides = {}) {
  const write = overrides.write ?? stdoutWriter;
  const log = createLogger("keyward-authorizer", write);
  const config = readOrLog(() => readVerifierConfig(env), log);
  const clock = overrides.clock ?? systemClock;
  const transport = nodeTransport();
  const secrets = readerFromEnvironment(env, config.keys.prefix, transport);
  const upstash = { ...(await upstashSettings(config, secrets)), transport };
  const verification = verificationFromConfig(
    config,
    () => secrets.load(),
    upstashRevocationSources(upstash, config),
    clock,
    {
      onMirrorOverflow: reportMirrorOverflow(log, write, "authorizer", clock),
      direct: directNode(),
    },
  );
  const { authenticate, keyrings, warmUp } = verification;
  if (!(await warmUp())) {
    log.error("keyring could not be loaded at start; every request is refused until it can", {
      error: keyrings.lastError,
    });
  }
  const region = env.AWS_REGION ?? "unknown";
  const receipts = reportingLag(verifierReceipts("authorizer", region, verification, clock), write);
  const usage = usageRecorderFor(upstash, config, clock, log, receipts);
  reportingChanges(verification, usage, clock);
  return createAuthorizer({
    authenticate,
    tokenSource: {
      header: config.tokenHeader,
      ...(config.tokenCookie === undefined ? {} : { cookie: config.tokenCookie }),
    },
    log,
    writeMetrics: write,
    now: () => clock.now(),
    recordUsage: (kid, outcome, nowMs, consumer) => usage.record(kid, nowMs, outcome, consumer),
  });
}

async function upstashSettings(
  config: VerifierConfig,
  secrets: SecretsManagerReader,
): Promise<UpstashSettings> {
  if (config.upstash.kind === "env")
    return { url: config.upstash.url, token: config.upstash.token };
  const { secretId } = config.upstash;
  return upstashSettingsFromSecret(secretId, await secrets.secretString(secretId));
}
