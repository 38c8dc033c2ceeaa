import { resolve } from "node:path";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import { keyringSecretPrefix } from "../../shared/keyring/names.ts";
import { bufferedLines } from "./buffered-lines.ts";
import { readLocalConfig } from "./config.ts";
import { startLocalStack } from "./stack.ts";

const raw = process.env.PORT ?? "8787";
const port = Number(raw);
if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
  console.error(`PORT must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  process.exit(1);
}
const dir = resolve(process.env.KEYWARD_LOCAL_DIR ?? ".keyward");

const out = bufferedLines((chunk) => process.stdout.write(chunk));
try {
  // The deployed functions' own settings, read by their own readers (docs/settings.md).
  const { stores, verification, policy, sessionsPolicy } = readLocalConfig(process.env);
  const stack = await startLocalStack({
    port,
    dir,
    stores,
    verification,
    policy,
    sessionsPolicy,
    log: out.line,
  });
  const lines = [
    `keyward local stack on ${stack.url}`,
    `  ops API        ${stack.url}/v1/...   (operator "local", credential in ${stack.tokenFile})`,
    `  protected      ${stack.url}/whoami`,
    `  console        ${stack.consoleUrl}`,
    `  issue a token  curl -s -X POST ${stack.url}/v1/tokens -H "Authorization: Bearer $(cat ${stack.issuerTokenFile})" -d '{"sub":"alice"}'`,
    `  JWKS           ${stack.url}/.well-known/jwks.json`,
    `  a session      curl -c jar -X PUT ${stack.url}/session -d 'cart=3'; curl -b jar -c jar ${stack.url}/session`,
    stores.secretPrefix === undefined
      ? `  keyrings       ${dir}/keyring.json (signing), ${dir}/sessions-keyring.json (sessions)`
      : `  keyrings       Secrets Manager, ${stores.secretPrefix}/* (signing), ${keyringSecretPrefix(stores.secretPrefix, "sessions")}/* (sessions)`,
    ...(stores.kms === undefined
      ? []
      : [
          `  signing keys   AWS KMS (${policy.algorithm}): they sign there, the keyring holds public halves only`,
        ]),
    stores.upstash === undefined
      ? "  revocations    in memory (and the journal)"
      : `  revocations    Upstash, ${new URL(stores.upstash.url).host} (and the journal)`,
    `  CLI            npm run keyward -- status   (it finds this stack in ${dir}/url; elsewhere: export KEYWARD_URL=${stack.url})`,
  ];
  out.flush();
  process.stdout.write(`${lines.join("\n")}\n`);
  const stop = async () => {
    await stack.stop();
    out.flush();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  if (error instanceof ConfigInvalid) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
    console.error(
      `port ${port} is in use (another npm start?): stop it, or run PORT=18787 npm start`,
    );
  else throw error;
  process.exit(1);
}
