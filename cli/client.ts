import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AwsClient } from "aws4fetch";

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  usage: 1,
  refused: 2,
  unavailable: 3,
  unreachable: 4,
  notConfirmed: 5,
} as const;

/** The `code` of a `--json` error when the API gave none. */
export const EXIT_NAMES: Readonly<Record<number, string>> = {
  1: "usage",
  2: "refused",
  3: "unavailable",
  4: "unreachable",
  5: "not_confirmed",
};

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** The API's error code, when the API refused. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Talks to the ops API. Plain HTTP only to the local stack: a credential never crosses a network in
 * clear. In AWS the ops API's Function URL also wants IAM auth: requests are then signed with
 * SigV4 (AWS credentials from the standard variables) and the operator credential moves to
 * `X-Keyward-Credential`, since the signature takes the Authorization header.
 */
export class OpsClient {
  /**
   * `send`: how a request goes out, `fetch` by default; the local stack's console passes its ops
   * API's own `request`, so it calls it in process with the same client.
   */
  constructor(
    readonly url: string,
    private readonly credential: string,
    private readonly signer?: AwsClient,
    private readonly send: (url: string, init: RequestInit) => Promise<Response> = fetch,
  ) {}

  static fromEnvironment(
    flags: { url?: string; credential?: string },
    env = process.env,
  ): OpsClient {
    const localDir = resolve(env.KEYWARD_LOCAL_DIR ?? ".keyward");
    // The API's root: a URL copied with its /v1 (as the local banner shows routes) still works.
    const url = (flags.url || env.KEYWARD_URL || localStackUrl(localDir))
      .replace(/\/+$/, "")
      .replace(/\/v1$/, "");
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(EXIT.usage, `not a URL: ${url}`);
    }
    const local = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
    if (parsed.protocol !== "https:" && !local) {
      throw new CliError(
        EXIT.usage,
        `${url}: the ops API must be reached over https (http only for the local stack)`,
      );
    }
    // An empty variable counts as unset, as shells and CI systems often leave them.
    let credential = flags.credential || env.KEYWARD_OPS_TOKEN || undefined;
    if (credential === undefined && local) {
      const file = join(localDir, "ops-token");
      try {
        credential = readFileSync(file, "utf8").trim();
      } catch {
        throw new CliError(
          EXIT.usage,
          `no credential: set KEYWARD_OPS_TOKEN, pass --credential, or start the local stack (it writes ${file})`,
        );
      }
    }
    if (credential === undefined)
      throw new CliError(EXIT.usage, "no credential: set KEYWARD_OPS_TOKEN or pass --credential");
    return new OpsClient(url, credential, sigv4Signer(parsed, env));
  }

  async call(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiAnswer> {
    let response: Response;
    try {
      const init = {
        method,
        headers: {
          ...(this.signer === undefined
            ? { authorization: `Bearer ${this.credential}` }
            : { "x-keyward-credential": this.credential }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      };
      const request = `${this.url}${path}`;
      response = await (this.signer === undefined
        ? this.send(request, init)
        : this.signer.fetch(request, init));
    } catch (error) {
      throw new CliError(
        EXIT.unreachable,
        `cannot reach ${this.url}: ${(error as Error).cause ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: shown as text
    }
    return { status: response.status, body: parsed };
  }

  /** Like `call`, but a refusal becomes a CliError with the API's code and message. */
  async expect(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiAnswer> {
    const answer = await this.call(method, path, body);
    if (answer.status < 400) return answer;
    const error = (answer.body as { error?: { code?: string; message?: string } })?.error;
    const message = error ? `${error.code}: ${error.message}` : `HTTP ${answer.status}`;
    throw new CliError(
      answer.status >= 500 ? EXIT.unavailable : EXIT.refused,
      message,
      error?.code,
    );
  }
}

/** The URL the local stack wrote beside its credential (it follows PORT), or the default port's. */
function localStackUrl(dir: string): string {
  try {
    return readFileSync(join(dir, "url"), "utf8").trim() || "http://127.0.0.1:8787";
  } catch {
    return "http://127.0.0.1:8787";
  }
}

/**
 * A SigV4 signer for a Lambda Function URL (`<id>.lambda-url.<region>.on.aws`, region from the
 * host), or for any URL when `KEYWARD_SIGV4_REGION` is set; undefined otherwise.
 */
function sigv4Signer(url: URL, env: NodeJS.ProcessEnv): AwsClient | undefined {
  const region =
    env.KEYWARD_SIGV4_REGION || /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
  if (region === undefined) return undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new CliError(
      EXIT.usage,
      `${url.host} wants requests signed with AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), e.g. with \`eval "$(aws configure export-credentials --format env)"\``,
    );
  }
  return new AwsClient({
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    service: "lambda",
    region,
    retries: 0,
  });
}
