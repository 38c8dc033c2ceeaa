import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { systemClock } from "../../shared/clock.ts";
import type { Environment } from "../../shared/config/env.ts";
import { EnvReader } from "../../shared/config/env.ts";
import { EventBridgePublisher } from "../../shared/events-eventbridge.ts";
import { resolvePolicy } from "../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { cryptoRandom } from "../../shared/random.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { upstashSettingsFromSecret } from "../../shared/upstash-client.ts";
import { createOpsApp } from "./app.ts";
import { parseOperators } from "./operators.ts";

/**
 * The ops API as deployed: keyring in Secrets Manager (written through the SDK), revocations and
 * journal in Upstash, events on EventBridge, operators from KEYWARD_OPERATORS or a secret
 * (KEYWARD_OPERATORS_SECRET_ID). Every setting is checked at once.
 */
export async function createOpsAppFromEnv(env: Environment) {
  const read = new EnvReader(env);
  const prefix = read.required(
    "KEYWARD_SECRET_PREFIX",
    "the Secrets Manager name prefix of the keyring",
  );
  const bus = read.required("KEYWARD_EVENT_BUS", "the EventBridge bus keyward publishes to");
  const upstashSecret = read.required(
    "KEYWARD_UPSTASH_SECRET_ID",
    'a secret holding {"url","token"} for Upstash',
  );
  const operatorsInline = read.string("KEYWARD_OPERATORS");
  const operatorsSecret = read.string("KEYWARD_OPERATORS_SECRET_ID");
  if (operatorsInline === undefined && operatorsSecret === undefined) {
    read.problem(
      "KEYWARD_OPERATORS (JSON) or KEYWARD_OPERATORS_SECRET_ID is required: who may call the ops API",
    );
  }
  const maxLifetime = read.integer("KEYWARD_MAX_TOKEN_LIFETIME_SECONDS", 86_400, 60, 30 * 86_400);
  const tolerance = read.integer("KEYWARD_CLOCK_TOLERANCE_SECONDS", 5, 0, 300);
  const algorithm = read.oneOf(
    "KEYWARD_ALGORITHM",
    ["HS256", "ES256", "EdDSA", "RS256"] as const,
    "HS256",
  );
  read.done();

  const secrets = new SecretsManagerClient({});
  const secretString = async (id: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? "";
  const upstash = upstashSettingsFromSecret(upstashSecret, await secretString(upstashSecret));
  const operators = parseOperators(operatorsInline ?? (await secretString(operatorsSecret ?? "")));
  const timing = { maxTokenLifetimeSeconds: maxLifetime, clockToleranceSeconds: tolerance };
  const settings = { url: upstash.url, token: upstash.token };
  return createOpsApp(
    {
      keyrings: new SecretsManagerKeyringStore({ client: secrets, prefix, deletesMaterial: false }),
      revocations: new UpstashRevocationStore({ ...settings, timing, budgetMs: 2_000 }),
      audit: new UpstashAuditJournal(settings),
      events: new EventBridgePublisher(new EventBridgeClient({}), bus),
      clock: systemClock,
      random: cryptoRandom,
      policy: resolvePolicy({ algorithm, maxTokenLifetimeMs: maxLifetime * 1000 }),
      timing,
    },
    { operators },
  );
}
