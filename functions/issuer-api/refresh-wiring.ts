import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { awsClientSettings } from "../../shared/config/aws-env.ts";
import type { Environment, EnvReader } from "../../shared/config/env.ts";
import { readNumber } from "../../shared/config/setting.ts";
import { SETTINGS } from "../../shared/config/settings.ts";
import { readRedisPrefix } from "../../shared/config/verifier-config.ts";
import { EventBridgePublisher } from "../../shared/events/eventbridge.ts";
import { withEventMetrics } from "../../shared/events/metrics.ts";
import type { LineWriter } from "../../shared/observability/log.ts";
import { reportReuse } from "../../shared/refresh/reuse.ts";
import type { RefreshOptions } from "../../shared/refresh/settings.ts";
import { UpstashRefreshStore } from "../../shared/refresh/upstash.ts";
import type { UpstashSettings } from "../../shared/upstash/settings.ts";

export interface RefreshEnvironment {
  readonly secretId: string;
  readonly upstashSecretId: string;
  readonly redisPrefix: string;
  readonly eventBus: string;
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
  readonly graceSeconds: number;
}

/**
 * Refresh tokens are on when KEYWARD_REFRESH_SECRET_ID names the secret successors are derived
 * with; they then need Upstash (families, revocations, journal) and the event bus (reuse).
 */
export function readRefreshSettings(read: EnvReader): RefreshEnvironment | undefined {
  const secretId = read.string(SETTINGS.refreshSecret.env);
  const idleDays = readNumber(read, SETTINGS.refreshIdle);
  const absoluteDays = readNumber(read, SETTINGS.refreshAbsolute);
  const graceSeconds = readNumber(read, SETTINGS.refreshGrace);
  if (idleDays > absoluteDays)
    read.problem(`${SETTINGS.refreshIdle.env} must not exceed ${SETTINGS.refreshAbsolute.env}`);
  if (secretId === undefined) return undefined;
  const upstashSecretId = read.required(
    "KEYWARD_UPSTASH_SECRET_ID",
    'with KEYWARD_REFRESH_SECRET_ID: a secret holding {"url","token"} for Upstash',
  );
  const eventBus = read.required(
    "KEYWARD_EVENT_BUS",
    "with KEYWARD_REFRESH_SECRET_ID: the bus RefreshTokenReused goes to",
  );
  return {
    secretId,
    upstashSecretId,
    eventBus,
    redisPrefix: readRedisPrefix(read),
    idleSeconds: idleDays * 86_400,
    absoluteSeconds: absoluteDays * 86_400,
    graceSeconds,
  };
}

/**
 * The issuer's refresh options as deployed: families in Upstash (`upstash`, the issuer's
 * credentials), reuse journaled and published.
 */
export async function refreshFromEnv(
  settings: RefreshEnvironment,
  upstash: UpstashSettings,
  env: Environment,
  secretString: (secretId: string) => Promise<string>,
  write: LineWriter,
): Promise<RefreshOptions> {
  const prefix = settings.redisPrefix;
  const events = withEventMetrics(
    new EventBridgePublisher(
      new EventBridgeClient(awsClientSettings(env, "AWS_ENDPOINT_URL_EVENTBRIDGE")),
      settings.eventBus,
    ),
    write,
    "issuing",
  );
  return {
    store: new UpstashRefreshStore({ ...upstash, prefix }),
    secret: new TextEncoder().encode(await secretString(settings.secretId)),
    idleSeconds: settings.idleSeconds,
    absoluteSeconds: settings.absoluteSeconds,
    graceSeconds: settings.graceSeconds,
    onReused: reportReuse(
      { audit: new UpstashAuditJournal(upstash, undefined, prefix), events },
      "issuing",
    ),
  };
}
