import { type Context, Hono } from "hono";
import type { JWK } from "jose";
import { type Clock, MINUTE, SECOND, withinBudget } from "../../shared/kernel/clock.ts";
import { isVerifying, publicJwk } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { consumerOf, type JwksConsumerLog } from "../../shared/receipts/jwks-consumer.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";

/** A public key as served: a JWK, with the status of its key where the server knows it. */
export type PublishedKey = JWK & { readonly status?: string };

export interface JwksAppOptions {
  /** The public keys to serve (`publicKeysOf` a keyring, or what the writers published). */
  readonly keys: () => Promise<readonly PublishedKey[] | undefined>;
  /** How long clients may cache the answer, in seconds (see `jwksMaxAge`). */
  readonly maxAgeSeconds: number;
  /** Where fetches are recorded (the rotation reads them before a pending key signs). */
  readonly consumers?: ConsumerRecording;
}

export interface ConsumerRecording {
  readonly log: Pick<JwksConsumerLog, "record">;
  /** The caller's address, as the runtime gives it (`getConnInfo`). */
  readonly addressOf: (c: Context) => string | undefined;
  readonly clock: Clock;
}

/** A consumer's fetches are written at most this often per process. */
const RECORD_EVERY_MS = MINUTE;
/** A write that takes longer is left to finish or fail alone: the keys are answered anyway. */
const RECORD_BUDGET_MS = 250;
/** Consumers remembered per process, to write each at most once a minute. */
const REMEMBERED = 10_000;

function addressOf(recording: ConsumerRecording, c: Context): string | undefined {
  try {
    return recording.addressOf(c);
  } catch {
    // A runtime that does not say (a test's `app.request`): the consumer's source is unknown.
    return undefined;
  }
}

/**
 * Records a fetch's consumer (at most once a minute each, within a budget), never failing the
 * answer: a JWKS that cannot record still serves its keys.
 */
function consumerRecorder(recording: ConsumerRecording): (c: Context) => Promise<void> {
  const written = new Map<string, number>();
  return async (c) => {
    const now = recording.clock.now();
    const consumer = consumerOf(c.req.header("user-agent"), addressOf(recording, c), now);
    if (now - (written.get(consumer.consumer) ?? Number.NEGATIVE_INFINITY) < RECORD_EVERY_MS)
      return;
    if (written.size >= REMEMBERED) written.clear();
    written.set(consumer.consumer, now);
    await withinBudget(
      recording.log.record(consumer).catch(() => written.delete(consumer.consumer)),
      RECORD_BUDGET_MS,
      () => undefined,
    );
  };
}

/**
 * How long a JWKS answer may be cached: the verifiers' keyring cache TTL less what the server's
 * own cache adds, so a key published one pre-publication period (TTL + 60 s) before it signs is
 * in every client's copy in time.
 */
export function jwksMaxAge(keyringCacheTtlMs: number, serverCacheMs = 0): number {
  return Math.max(0, Math.floor((keyringCacheTtlMs - serverCacheMs) / SECOND));
}

/** The public keys of a keyring's pending, current and previous asymmetric keys, with their status. */
export function publicKeysOf(keyring: Keyring | undefined): PublishedKey[] {
  return (keyring?.keys ?? [])
    .filter((k) => isVerifying(k.status))
    .flatMap((k) => {
      const jwk = publicJwk(k);
      return jwk === undefined ? [] : [{ ...jwk, status: k.status }];
    });
}

/**
 * `GET /.well-known/jwks.json`: the public keys of pending, current and previous asymmetric keys.
 * HMAC material is never in it. Served by the ops API (from its keyring) and, without
 * credentials, by its own function for outside verifiers (PyJWT, jose's remote JWK set), from the
 * public keys the writers publish: that function never holds the keyring.
 */
export function createJwksApp(options: JwksAppOptions): Hono {
  const app = new Hono();
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );
  const record = options.consumers === undefined ? undefined : consumerRecorder(options.consumers);
  app.get("/.well-known/jwks.json", async (c) => {
    const [keys] = await Promise.all([options.keys(), record?.(c)]);
    if (keys === undefined)
      return c.json(errorBody("keys_unavailable", "the public keys could not be read"), 503);
    c.header("Cache-Control", `public, max-age=${options.maxAgeSeconds}`);
    return c.json({ keys });
  });
  return app;
}
