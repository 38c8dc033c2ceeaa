import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { systemClock } from "../../shared/clock.ts";
import { EnvReader } from "../../shared/config/env.ts";
import { EventBridgePublisher } from "../../shared/events-eventbridge.ts";
import { resolvePolicy } from "../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { createLogger } from "../../shared/observability/log.ts";
import { tick } from "../../shared/operations/tick.ts";
import { cryptoRandom } from "../../shared/random.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { upstashSettingsFromSecret } from "../../shared/upstash-client.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";

const log = createLogger("keyward-rotation");
const read = new EnvReader(process.env);
const prefix = read.required(
  "KEYWARD_SECRET_PREFIX",
  "the Secrets Manager name prefix of the keyring",
);
const bus = read.required("KEYWARD_EVENT_BUS", "the EventBridge bus keyward publishes to");
const upstashSecret = read.required(
  "KEYWARD_UPSTASH_SECRET_ID",
  'a secret holding {"url","token"} for Upstash',
);
const algorithm = read.oneOf(
  "KEYWARD_ALGORITHM",
  ["HS256", "ES256", "EdDSA", "RS256"] as const,
  "HS256",
);
const maxLifetime = read.integer("KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", 86_400, 60, 30 * 86_400);
read.done();

const secrets = new SecretsManagerClient({});
const upstash = upstashSettingsFromSecret(
  upstashSecret,
  (await secrets.send(new GetSecretValueCommand({ SecretId: upstashSecret }))).SecretString,
);
const timing = { maxTokenLifetimeSeconds: maxLifetime, clockToleranceSeconds: 5 };
const deps = {
  keyrings: new SecretsManagerKeyringStore({ client: secrets, prefix }),
  revocations: new UpstashRevocationStore({
    url: upstash.url,
    token: upstash.token,
    timing,
    budgetMs: 2_000,
  }),
  audit: new UpstashAuditJournal({ url: upstash.url, token: upstash.token }),
  events: new EventBridgePublisher(new EventBridgeClient({}), bus),
  clock: systemClock,
  random: cryptoRandom,
  policy: resolvePolicy({ algorithm, maxTokenLifetimeMs: maxLifetime * 1000 }),
  timing,
  usage: new UpstashUsageStore({ url: upstash.url, token: upstash.token }),
};

/** EventBridge scheduled event in, one tick, its outcome out (and in the logs). */
export const handler = async (): Promise<unknown> => {
  const outcome = await tick(deps, systemClock.now());
  (outcome.status === "failed" ? log.error : log.info)("rotation tick", { ...outcome });
  return outcome;
};
