import { randomUUID } from "node:crypto";
import { createAuthorizerFromEnv } from "../../functions/authorizer/wiring.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { motoEnvironment, secretsManagerClient } from "./aws.ts";
import { newKeyring } from "./keyrings.ts";

/**
 * The Lambda authorizer built from its environment against the keyring under `prefix` (moto at
 * `aws`'s endpoint) and the local Upstash REST server, with a fresh revocation prefix.
 */
export async function authorizerOn(
  aws: Readonly<Record<string, string>>,
  prefix: string,
  upstash: { readonly upstashUrl: string; readonly upstashToken: string },
) {
  return createAuthorizerFromEnv({
    ...aws,
    KEYWARD_SECRET_PREFIX: prefix,
    KEYWARD_REDIS_PREFIX: `a${randomUUID()}:`,
    UPSTASH_REDIS_REST_URL: upstash.upstashUrl,
    UPSTASH_REDIS_REST_TOKEN: upstash.upstashToken,
  });
}

/**
 * A new HS256 keyring in moto under a fresh prefix and the authorizer that reads it, on the
 * local Upstash REST server under a fresh `redisPrefix`, its time on `clock` (moved by the test);
 * `token` was signed for alice. `env`: settings of its own.
 */
export async function authorizerWithKeyring(
  services: {
    readonly motoUrl: string;
    readonly upstashUrl: string;
    readonly upstashToken: string;
  },
  env: Readonly<Record<string, string>> = {},
) {
  const secretPrefix = `keyward/${randomUUID()}`;
  const redisPrefix = `r${randomUUID()}:`;
  const clock = { t: Date.now(), now: () => clock.t };
  const keyring = await newKeyring("HS256", clock.t);
  await new SecretsManagerKeyringStore({
    client: secretsManagerClient(services.motoUrl),
    prefix: secretPrefix,
  }).save(keyring);
  const handler = await createAuthorizerFromEnv(
    {
      KEYWARD_SECRET_PREFIX: secretPrefix,
      KEYWARD_REDIS_PREFIX: redisPrefix,
      UPSTASH_REDIS_REST_URL: services.upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
      ...motoEnvironment(services.motoUrl),
      ...env,
    },
    { clock, write: () => undefined },
  );
  const token = await createSigner().sign(keyring, { sub: "alice" }, clock.t);
  return { handler, keyring, token, clock, redisPrefix };
}
