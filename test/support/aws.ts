import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** SDK client settings for moto (any credentials do). */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
}

/** The standard AWS variables pointing a function at moto, as its `env`. */
export function motoEnvironment(endpoint: string) {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  };
}

/** A real SDK client pointed at moto. */
export function secretsManagerClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient(motoClientConfig(endpoint));
}

/** Counts the commands a client sends, through the SDK's own middleware stack. */
export function countCommands(client: SecretsManagerClient): {
  counts: Record<string, number>;
  total(): number;
} {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name: "keywardCountCommands" },
  );
  return { counts, total: () => Object.values(counts).reduce((a, b) => a + b, 0) };
}

export class InjectedCrash extends Error {}

/**
 * Simulates a process dying right after its n-th command took effect: the command reaches the
 * server, then the caller sees a crash. A real server cannot produce this, so it is injected.
 */
export function crashAfterCommand(client: SecretsManagerClient, n: number): void {
  let seen = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (++seen === n) throw new InjectedCrash(`crash injected after command ${n}`);
      return result;
    },
    { step: "initialize", name: "keywardInjectCrash" },
  );
}
