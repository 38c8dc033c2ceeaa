import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { nodeTransport } from "../../../../shared/http/node-transport.ts";
import { fetchTransport, type HttpTransport } from "../../../../shared/http/transport.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { publishKey } from "../../../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import {
  SecretsManagerReader,
  SecretsReadFailed,
} from "../../../../shared/keyring-store/secrets-reader.ts";
import { secretsManagerClient } from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const random = seededRandom("secrets-reader");
let moto: CountingProxy;
beforeAll(async () => {
  moto = await startProxy(inject("services").motoUrl);
});
afterAll(() => moto.stop());

const TRANSPORTS: Record<string, HttpTransport> = {
  fetchTransport,
  nodeTransport: nodeTransport(),
};

async function stored(keys: number): Promise<{ prefix: string; keyring: Keyring }> {
  const prefix = `keyward/${randomUUID()}`;
  const store = new SecretsManagerKeyringStore({
    client: secretsManagerClient(inject("services").motoUrl),
    prefix,
  });
  let keyring = await newKeyring("ES256", T0, random);
  await store.save(keyring);
  for (let i = 1; i < keys; i++) {
    keyring = expectOk(publishKey(keyring, await generateKey("HS256", T0, random), T0));
    await store.save(keyring);
  }
  return { prefix, keyring };
}

describe.each(Object.entries(TRANSPORTS))(
  "SecretsManagerReader (signed HTTP, no SDK) over %s",
  (_name, transport) => {
    const reader = (prefix: string) =>
      new SecretsManagerReader({
        prefix,
        region: "us-east-1",
        endpoint: moto.url,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        transport,
      });

    it("reads what the SDK store wrote, in one call at cold start (counted at moto)", async () => {
      const { prefix, keyring } = await stored(3);
      moto.reset();
      expect(await reader(prefix).load()).toEqual(keyring);
      expect(moto.operations()).toEqual({ "secretsmanager.BatchGetSecretValue": 1 });
    });

    it("follows pages past 20 secrets and stops at the last", async () => {
      const { prefix, keyring } = await stored(25);
      moto.reset();
      expect(await reader(prefix).load()).toEqual(keyring);
      expect(moto.operations()).toEqual({ "secretsmanager.BatchGetSecretValue": 2 });
    });

    it("answers undefined where no keyring exists, and names AWS's error type otherwise", async () => {
      expect(await reader(`keyward/${randomUUID()}`).load()).toBeUndefined();
      const failure = await reader("x")
        .secretString(`missing/${randomUUID()}`)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SecretsReadFailed);
      expect(failure).toMatchObject({ awsType: "ResourceNotFoundException" });
    });
  },
);
