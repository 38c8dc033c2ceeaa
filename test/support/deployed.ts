import { randomUUID } from "node:crypto";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { inject } from "vitest";
import { keyringSecretPrefix } from "../../shared/keyring/names.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { motoEnvironment, secretsManagerClient } from "./aws.ts";
import { busWithQueue } from "./eventbridge.ts";

/** The writers' environment as the CDK stack sets it, pointed at moto and the local Upstash. */
export async function deployedEnvironment(upstash?: { url: string; token: string }) {
  const services = inject("services");
  const client = secretsManagerClient(services.motoUrl);
  const upstashSecret = `keyward/upstash-${randomUUID()}`;
  await client.send(
    new CreateSecretCommand({
      Name: upstashSecret,
      SecretString: JSON.stringify(
        upstash ?? { url: services.upstashUrl, token: services.upstashToken },
      ),
    }),
  );
  const { bus, received } = await busWithQueue(services.motoUrl);
  const prefix = `keyward/${randomUUID()}`;
  const env = {
    KEYWARD_SECRET_PREFIX: prefix,
    KEYWARD_EVENT_BUS: bus,
    KEYWARD_UPSTASH_SECRET_ID: upstashSecret,
    KEYWARD_REDIS_PREFIX: `r${randomUUID()}:`,
    ...motoEnvironment(services.motoUrl),
  };
  return {
    env,
    received,
    prefix,
    keyrings: new SecretsManagerKeyringStore({ client, prefix }),
    sessionKeyrings: new SecretsManagerKeyringStore({
      client,
      prefix: keyringSecretPrefix(prefix, "sessions"),
    }),
  };
}
