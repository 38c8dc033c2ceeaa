import { randomUUID } from "node:crypto";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { createSigner } from "../../shared/tokens/signer.ts";

/** A fresh keyring in moto under a new prefix, the keyring, and a token signed by its current key. */
export async function newKeyringWithKey(
  motoUrl: string,
): Promise<{ prefix: string; token: string; keyring: Keyring }> {
  const prefix = `bench/${randomUUID()}`;
  const client = new SecretsManagerClient({
    endpoint: motoUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "t", secretAccessKey: "t" },
  });
  const now = Date.now();
  const keyring = createKeyring(await generateKey("HS256", now, cryptoRandom), now);
  await new SecretsManagerKeyringStore({ client, prefix }).save(keyring);
  return { prefix, keyring, token: await createSigner().sign(keyring, { sub: "alice" }, now) };
}
