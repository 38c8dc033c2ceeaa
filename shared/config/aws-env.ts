import type { Environment } from "./env.ts";

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What the standard AWS variables say; each part absent when its variables are. */
export interface AwsSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentials;
}

/**
 * Region, endpoint and credentials from the standard AWS variables of `env` (in Lambda, the
 * runtime's own), read the way the AWS SDK reads them: `AWS_REGION` or `AWS_DEFAULT_REGION`, the
 * service's own endpoint variable (e.g. `AWS_ENDPOINT_URL_SECRETS_MANAGER`) before
 * `AWS_ENDPOINT_URL`, a session token only with a key pair. Taking `env` rather than
 * `process.env` lets a test point a function at moto without touching the process.
 */
export function awsSettings(env: Environment, serviceEndpointVariable: string): AwsSettings {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = env[serviceEndpointVariable] ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accessKeyId === undefined || secretAccessKey === undefined
      ? {}
      : {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(sessionToken === undefined ? {} : { sessionToken }),
          },
        }),
  };
}

/**
 * Time limits for every AWS SDK client keyward makes, so a store that does not answer (an endpoint
 * gone quiet, a frozen emulator) is an error within seconds, never a hang: 2 s to connect, 5 s per
 * request, one retry.
 */
export const AWS_CLIENT_LIMITS = {
  maxAttempts: 2,
  // Without throwOnRequestTimeout the SDK only warns when a request outlives its timeout.
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;

/** An AWS SDK client's settings: `awsSettings` with `AWS_CLIENT_LIMITS`. */
export function awsClientSettings(env: Environment, serviceEndpointVariable: string) {
  return { ...awsSettings(env, serviceEndpointVariable), ...AWS_CLIENT_LIMITS };
}
