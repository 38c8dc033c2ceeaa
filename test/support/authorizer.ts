import { randomUUID } from "node:crypto";
import { createAuthorizerFromEnv } from "../../functions/authorizer/wiring.ts";

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
