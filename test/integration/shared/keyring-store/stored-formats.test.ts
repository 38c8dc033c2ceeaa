import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { currentKey } from "../../../../shared/keyring/keyring.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { SecretsManagerReader } from "../../../../shared/keyring-store/secrets-reader.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { secretsManagerClient } from "../../../support/aws.ts";

const FORMATS = new URL("../../../fixtures/stored-formats/", import.meta.url).pathname;

interface FixtureToken {
  readonly kid: string;
  readonly token: string;
  readonly signedAtMs: number;
}

/** Puts a folder of test/fixtures/stored-formats into moto under a fresh prefix, secret by secret. */
async function storeFixture(folder: string): Promise<string> {
  const prefix = `keyward/${randomUUID()}`;
  const client = secretsManagerClient(inject("services").motoUrl);
  const dir = join(FORMATS, folder);
  const secrets: [string, string][] = [
    ["keyring", readFileSync(join(dir, "keyring.json"), "utf8")],
  ];
  for (const file of readdirSync(join(dir, "keys")))
    secrets.push([
      `keys/${file.replace(/\.json$/, "")}`,
      readFileSync(join(dir, "keys", file), "utf8"),
    ]);
  for (const [name, text] of secrets)
    await client.send(new CreateSecretCommand({ Name: `${prefix}/${name}`, SecretString: text }));
  return prefix;
}

const folders = readdirSync(FORMATS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe("keyrings written by earlier versions (test/fixtures/stored-formats, in moto)", () => {
  it("has at least the schema-1 keyring of keyward 0.1.0 to read", () => {
    expect(folders).toContain("schema-1");
  });

  for (const folder of folders) {
    it(`${folder}: loads through the writers' store and the verifiers' reader, and its tokens verify`, async () => {
      const prefix = await storeFixture(folder);
      const tokens = JSON.parse(readFileSync(join(FORMATS, folder, "tokens.json"), "utf8")) as {
        byCurrent: FixtureToken;
        byPrevious: FixtureToken;
      };
      const store = new SecretsManagerKeyringStore({
        client: secretsManagerClient(inject("services").motoUrl),
        prefix,
      });
      const keyring = await store.load();
      const reader = new SecretsManagerReader({
        prefix,
        region: "us-east-1",
        endpoint: inject("services").motoUrl,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      expect(await reader.load()).toEqual(keyring);
      expect(keyring && currentKey(keyring).kid).toBe(tokens.byCurrent.kid);

      const verifier = createVerifier({ issuer: "https://login.example" });
      for (const { kid, token, signedAtMs } of [tokens.byCurrent, tokens.byPrevious]) {
        expect(await verifier.verify(token, keyring!, signedAtMs + 1_000)).toMatchObject({
          ok: true,
          kid,
        });
      }
      // Today's code keeps signing with what it read, and saves it back in today's format.
      const signer = createSigner({ issuer: "https://login.example" });
      const now = tokens.byCurrent.signedAtMs;
      const fresh = await signer.sign(keyring!, { sub: "carol" }, now);
      expect(await verifier.verify(fresh, keyring!, now)).toMatchObject({
        ok: true,
        kid: tokens.byCurrent.kid,
      });
      await store.save({ ...keyring!, revision: keyring!.revision + 1, updatedAt: now });
      expect((await store.load())?.keys).toEqual(keyring!.keys);
    });
  }
});
