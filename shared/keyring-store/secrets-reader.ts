import type { Environment } from "../config/env.ts";
import {
  type AwsJsonOptions,
  awsJsonCaller,
  awsJsonOptionsFromEnvironment,
} from "../http/aws-json.ts";
import type { HttpTransport } from "../http/transport.ts";
import { KeywardError } from "../kernel/errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { assembleKeyring, stateName, trimPrefix } from "./secrets-layout.ts";

export interface SecretsReaderOptions extends AwsJsonOptions {
  readonly prefix: string;
}

const SECRETS_MANAGER = {
  service: "secretsmanager",
  target: "secretsmanager",
  name: "Secrets Manager",
};

/** A Secrets Manager call failed; `awsType` is AWS's error type, e.g. ResourceNotFoundException. */
export class SecretsReadFailed extends KeywardError {
  override readonly code = "secrets_read_failed";
  constructor(
    message: string,
    readonly awsType?: string,
  ) {
    super(message);
  }
}

/**
 * Reads a keyring from Secrets Manager for verifiers, over SigV4-signed HTTP (`awsJsonCaller`)
 * instead of the AWS SDK. Read-only by construction. Why: a verifier only ever
 * makes one or two read calls, and loading the SDK costs most of a cold start
 * (docs/benchmarks.md); the same code runs at the edge. Writers use the SDK store.
 *
 * One `BatchGetSecretValue` filtered on the prefix returns the state and every material secret:
 * a cold start costs one call (20 secrets per page).
 */
export class SecretsManagerReader {
  readonly #call: (operation: string, payload: unknown) => Promise<unknown>;
  readonly #prefix: string;

  constructor(options: SecretsReaderOptions) {
    this.#call = awsJsonCaller(
      SECRETS_MANAGER,
      options,
      (message, type) => new SecretsReadFailed(message, type),
    );
    this.#prefix = trimPrefix(options.prefix);
  }

  async load(): Promise<Keyring | undefined> {
    const secrets = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = (await this.#call("BatchGetSecretValue", {
        Filters: [{ Key: "name", Values: [`${this.#prefix}/`] }],
        MaxResults: 20,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      })) as {
        SecretValues?: { Name?: string; SecretString?: string }[];
        NextToken?: string | null;
      };
      for (const secret of page.SecretValues ?? []) {
        if (secret.Name !== undefined && secret.SecretString !== undefined)
          secrets.set(secret.Name, secret.SecretString);
      }
      // The JSON protocol says null (or nothing) on the last page; the SDK hides this.
      nextToken =
        typeof page.NextToken === "string" && page.NextToken !== "" ? page.NextToken : undefined;
    } while (nextToken !== undefined);
    const state = secrets.get(stateName(this.#prefix));
    if (state === undefined) return undefined;
    return assembleKeyring(state, (kid) => secrets.get(`${this.#prefix}/keys/${kid}`));
  }

  /** One secret's string value (the Upstash credentials). */
  async secretString(secretId: string): Promise<string> {
    const answer = (await this.#call("GetSecretValue", { SecretId: secretId })) as {
      SecretString?: string;
    };
    if (answer.SecretString === undefined)
      throw new SecretsReadFailed(`secret ${secretId} has no string value`);
    return answer.SecretString;
  }
}

/**
 * The reader as the AWS SDK would configure itself: region, endpoint and credentials from the
 * environment; requests sent by `transport` (default: `platformTransport()`).
 */
export function readerFromEnvironment(
  env: Environment,
  prefix: string,
  transport?: HttpTransport,
): SecretsManagerReader {
  return new SecretsManagerReader({
    prefix,
    ...awsJsonOptionsFromEnvironment(
      env,
      "AWS_ENDPOINT_URL_SECRETS_MANAGER",
      (message) => new SecretsReadFailed(message),
      transport,
    ),
  });
}
