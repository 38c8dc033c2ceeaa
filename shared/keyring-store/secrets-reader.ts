import { AwsClient } from "aws4fetch";
import { type AwsCredentials, awsSettings } from "../config/aws-env.ts";
import type { Environment } from "../config/env.ts";
import { KeywardError } from "../kernel/errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { assembleKeyring, stateName, trimPrefix } from "./secrets-layout.ts";

export interface SecretsReaderOptions {
  readonly prefix: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Default `https://secretsmanager.<region>.amazonaws.com`. */
  readonly endpoint?: string;
  /** Each call answers within this or fails. Default 3,000 ms. */
  readonly timeoutMs?: number;
}

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
 * Reads a keyring from Secrets Manager for verifiers, over SigV4-signed `fetch` (aws4fetch)
 * instead of the AWS SDK. Read-only by construction. Why: a verifier only ever makes one or two
 * read calls, and loading the SDK costs most of a cold start (docs/benchmarks.md); `fetch` is
 * already loaded for Upstash, and the same code runs at the edge. Writers use the SDK store.
 *
 * One `BatchGetSecretValue` filtered on the prefix returns the state and every material secret:
 * a cold start costs one call (20 secrets per page).
 */
export class SecretsManagerReader {
  readonly #aws: AwsClient;
  readonly #endpoint: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: SecretsReaderOptions) {
    this.#aws = new AwsClient({
      ...options.credentials,
      service: "secretsmanager",
      region: options.region,
      retries: 0,
    });
    this.#endpoint = options.endpoint ?? `https://secretsmanager.${options.region}.amazonaws.com`;
    this.#prefix = trimPrefix(options.prefix);
    this.#timeoutMs = options.timeoutMs ?? 3000;
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

  async #call(operation: string, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#aws.fetch(this.#endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `secretsmanager.${operation}`,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new SecretsReadFailed(`Secrets Manager ${operation} failed: ${(error as Error).name}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const type = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1];
      throw new SecretsReadFailed(
        `Secrets Manager ${operation} answered ${response.status} ${type ?? ""}`.trim(),
        type,
      );
    }
    return JSON.parse(text);
  }
}

/** The reader as the AWS SDK would configure itself: region, endpoint and credentials from the environment. */
export function readerFromEnvironment(env: Environment, prefix: string): SecretsManagerReader {
  const { region, endpoint, credentials } = awsSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER");
  if (region === undefined || credentials === undefined) {
    throw new SecretsReadFailed(
      "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)",
    );
  }
  return new SecretsManagerReader({
    prefix,
    region,
    credentials,
    ...(endpoint === undefined ? {} : { endpoint }),
  });
}
