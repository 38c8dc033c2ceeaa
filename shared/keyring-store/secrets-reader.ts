import { type AwsCredentials, awsSettings } from "../config/aws-env.ts";
import type { Environment } from "../config/env.ts";
import { awsSigner } from "../http/aws-signature.ts";
import { type HttpAnswer, type HttpTransport, platformTransport } from "../http/transport.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
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
  /** How requests are sent. Default: the platform's `fetch`; `nodeTransport()` in Node. */
  readonly transport?: HttpTransport;
  /** The time requests are signed with. Default: the system clock. */
  readonly clock?: Clock;
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
 * Reads a keyring from Secrets Manager for verifiers, over SigV4-signed HTTP (`awsSigner`, an
 * `HttpTransport`) instead of the AWS SDK. Read-only by construction. Why: a verifier only ever
 * makes one or two read calls, and loading the SDK costs most of a cold start
 * (docs/benchmarks.md); the same code runs at the edge. Writers use the SDK store.
 *
 * One `BatchGetSecretValue` filtered on the prefix returns the state and every material secret:
 * a cold start costs one call (20 secrets per page).
 */
export class SecretsManagerReader {
  readonly #sign: ReturnType<typeof awsSigner>;
  readonly #send: HttpTransport;
  readonly #clock: Clock;
  readonly #endpoint: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: SecretsReaderOptions) {
    const { region, credentials } = options;
    this.#sign = awsSigner({ service: "secretsmanager", region, credentials });
    this.#send = options.transport ?? platformTransport();
    this.#clock = options.clock ?? systemClock;
    this.#endpoint = options.endpoint ?? `https://secretsmanager.${region}.amazonaws.com`;
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

  async #call(operation: string, payload: unknown): Promise<unknown> {
    const request = {
      url: this.#endpoint,
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `secretsmanager.${operation}`,
      },
      body: JSON.stringify(payload),
    } as const;
    let answer: HttpAnswer;
    try {
      const headers = await this.#sign(request, this.#clock.now());
      answer = await this.#send({ ...request, headers, timeoutMs: this.#timeoutMs });
    } catch (error) {
      throw new SecretsReadFailed(`Secrets Manager ${operation} failed: ${(error as Error).name}`);
    }
    if (answer.status < 200 || answer.status > 299) {
      const type = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(answer.body)?.[1];
      throw new SecretsReadFailed(
        `Secrets Manager ${operation} answered ${answer.status} ${type ?? ""}`.trim(),
        type,
      );
    }
    return JSON.parse(answer.body);
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
    ...(transport === undefined ? {} : { transport }),
  });
}
