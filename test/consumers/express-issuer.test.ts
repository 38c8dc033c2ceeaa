import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { authorizerOn } from "../support/authorizer.ts";
import { httpApiEvent } from "../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../support/aws.ts";
import { CONSUMER_PATH, NODES, useConsumer } from "../support/consumers.ts";
import { newKeyring } from "../support/keyrings.ts";

const consumer = useConsumer("express-login", { express: "5.3.0" });
const servers: ChildProcess[] = [];
afterAll(() => {
  for (const server of servers) server.kill();
});

/** The login service on `node`, listening on a port it prints. */
async function loginService(env: Record<string, string>, node: string): Promise<string> {
  const server = spawn(node, ["server.mjs"], {
    cwd: consumer.dir,
    env: { PATH: CONSUMER_PATH, ...env },
  });
  servers.push(server);
  let errors = "";
  server.stderr.on("data", (d) => (errors += d));
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout.once("data", (d) => resolve(String(d).trim()));
    server.once("exit", () => reject(new Error(`the login service stopped: ${errors}`)));
  });
  return `http://127.0.0.1:${port}`;
}

describe("keyward/issuer from the tarball, in an Express login service", () => {
  it.each(Object.entries(NODES))(
    "on Node %s: the tokens it signs are accepted by the authorizer",
    async (_, node) => {
      const services = inject("services");
      const prefix = `keyward/${randomUUID()}`;
      const keyring = await newKeyring("HS256", Date.now());
      await new SecretsManagerKeyringStore({
        client: secretsManagerClient(services.motoUrl),
        prefix,
      }).save(keyring);
      const url = await loginService(
        { ...motoEnvironment(services.motoUrl), KEYWARD_SECRET_PREFIX: prefix },
        node,
      );
      const login = async (password: string) =>
        fetch(`${url}/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ user: "erin", password }),
        });
      expect((await login("wrong")).status).toBe(401);
      const { token } = (await (await login("correct horse")).json()) as { token: string };
      const authorizer = await authorizerOn(motoEnvironment(services.motoUrl), prefix, services);
      expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
        isAuthorized: true,
        context: { sub: "erin", kid: keyring.keys[0]?.kid },
      });
    },
  );
});
