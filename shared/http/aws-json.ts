import { type AwsCredentials, awsSettings } from "../config/aws-env.ts";
import type { Environment } from "../config/env.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { awsSigner } from "./aws-signature.ts";
import { type HttpAnswer, type HttpTransport, platformTransport } from "./transport.ts";

/** Where and how an AWS JSON API is called: the settings every such client takes. */
export interface AwsJsonOptions {
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Default `https://<service>.<region>.amazonaws.com`. */
  readonly endpoint?: string;
  /** Each call answers within this or fails. Default 3,000 ms. */
  readonly timeoutMs?: number;
  /** How requests are sent. Default: the platform's `fetch`; `nodeTransport()` in Node. */
  readonly transport?: HttpTransport;
  /** The time requests are signed with. Default: the system clock. */
  readonly clock?: Clock;
}

/** Which API: its SigV4 service name, its `X-Amz-Target` prefix, and its name in messages. */
export interface AwsJsonApi {
  readonly service: string;
  readonly target: string;
  readonly name: string;
}

/**
 * One operation of an AWS JSON 1.1 API (Secrets Manager, KMS) over SigV4-signed HTTP, without the
 * SDK: answers the parsed body of a 2xx. A call that gets no answer, or an error answer, becomes
 * `fail(message, awsType)`; the message names the operation and AWS's error type, never a value
 * sent or received.
 */
export function awsJsonCaller(
  api: AwsJsonApi,
  options: AwsJsonOptions,
  fail: (message: string, awsType?: string) => Error,
): (operation: string, payload: unknown) => Promise<unknown> {
  const { region, credentials } = options;
  const sign = awsSigner({ service: api.service, region, credentials });
  const send = options.transport ?? platformTransport();
  const clock = options.clock ?? systemClock;
  const url = options.endpoint ?? `https://${api.service}.${region}.amazonaws.com`;
  const timeoutMs = options.timeoutMs ?? 3000;
  return async (operation, payload) => {
    const request = {
      url,
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${api.target}.${operation}`,
      },
      body: JSON.stringify(payload),
    } as const;
    let answer: HttpAnswer;
    try {
      const headers = await sign(request, clock.now());
      answer = await send({ ...request, headers, timeoutMs });
    } catch (error) {
      throw fail(`${api.name} ${operation} failed: ${(error as Error).name}`);
    }
    if (answer.status < 200 || answer.status > 299) {
      const type = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(answer.body)?.[1];
      throw fail(`${api.name} ${operation} answered ${answer.status} ${type ?? ""}`.trim(), type);
    }
    return JSON.parse(answer.body);
  };
}

/**
 * A client's settings as the AWS SDK would find them: region, credentials and endpoint
 * (`endpointVariable`, else `AWS_ENDPOINT_URL`) from the environment; `fail` when the region or
 * the credentials are missing.
 */
export function awsJsonOptionsFromEnvironment(
  env: Environment,
  endpointVariable: string,
  fail: (message: string) => Error,
  transport?: HttpTransport,
): AwsJsonOptions {
  const { region, endpoint, credentials } = awsSettings(env, endpointVariable);
  if (region === undefined || credentials === undefined)
    throw fail(
      "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)",
    );
  return {
    region,
    credentials,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(transport === undefined ? {} : { transport }),
  };
}
