import { createMiddleware } from "hono/factory";
import { allows, type Operator, type Role } from "../../shared/access/operators.ts";
import { SECOND } from "../../shared/kernel/clock.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import type { KeyringName } from "../../shared/keyring/names.ts";
import { keyringKindOf, type OperationDeps } from "../../shared/operations/deps.ts";
import type { JwksConsumerLog } from "../../shared/receipts/jwks-consumer.ts";
import type { ReceiptReader } from "../../shared/receipts/store.ts";
import type { RefreshStore } from "../../shared/refresh/store.ts";
import type { UsageStore } from "../../shared/usage/counts.ts";
import { limitBody } from "../http/body-limit.ts";
import { requireHolder } from "../http/credential.ts";
import { ApiError } from "../http/errors.ts";
import { type Fields, jsonBody, strictObject } from "../http/input.ts";
import type { ConsumerRecording } from "../jwks/app.ts";

export interface OpsAppOptions {
  readonly operators: readonly Operator[];
  /** Largest request body accepted. Default 4 MiB (a batch of 10,000 revocations). */
  readonly maxBodyBytes?: number;
  /**
   * Verification figures: each key's share of the last day in `GET /v1/keys`, its consumers in
   * `GET …/keys/{kid}/impact`, refusals per rotation in `GET /v1/journal`.
   */
  readonly usage?: Pick<
    UsageStore,
    "verificationsByKid" | "refusalsByKid" | "consumersOf" | "verificationsByHour"
  > &
    Partial<Pick<UsageStore, "staleSignersByKid">>;
  /**
   * The other keyrings (the sessions keyring), each its own deps (`onKeyring`), served under
   * `/v1/keyrings/<name>`; the signing keyring is the app's own deps.
   */
  readonly keyrings?: Partial<Record<KeyringName, OperationDeps>>;
  /** Refresh-token families, for `GET /v1/families` (answered 404 without). */
  readonly families?: Pick<RefreshStore, "families">;
  /** The verifiers' receipts, for `GET /v1/verifiers` (answered 404 without). */
  readonly receipts?: ReceiptReader;
  /** How long a verifier is live after its last receipt (`KEYWARD_RECEIPT_WINDOW_SECONDS`). Default 5 min. */
  readonly receiptWindowMs?: number;
  /** Who fetched the public JWKS: listed with the verifiers, and counted like them. */
  readonly jwksConsumers?: Pick<JwksConsumerLog, "recent">;
  /** Where this app's own `/.well-known/jwks.json` records its fetches (the local stack). */
  readonly jwksRecording?: ConsumerRecording;
}

export type Env = { Variables: { operator: Operator } };

/** What every resource's routes share: the stores, the credential check, body reading. */
export interface OpsContext {
  readonly deps: OperationDeps;
  readonly options: OpsAppOptions;
  /** The caller must be an operator with at least this role. */
  authenticated(needed: Role): ReturnType<typeof createMiddleware<Env>>;
  /** The body size limit, before a body is read. */
  readonly body: ReturnType<typeof limitBody>;
  /** The body as a JSON object with only `allowed` fields. */
  json(c: { req: { text(): Promise<string> } }, allowed: readonly string[]): Promise<Fields>;
  /** The stored keyring (the signing one unless `keyring` says), or 404 `no_keyring`. */
  keyringOrFail(keyring?: OperationDeps): Promise<Keyring>;
  /** The latest exp a token keyward accepts can have, in seconds. */
  latestExp(): number;
}

export function opsContext(deps: OperationDeps, options: OpsAppOptions): OpsContext {
  return {
    deps,
    options,
    authenticated: (needed) =>
      createMiddleware<Env>(async (c, next) => {
        // Behind IAM auth the Authorization header carries the SigV4 signature, so the
        // operator's credential may come in X-Keyward-Credential instead.
        const operator = await requireHolder(
          c,
          options.operators,
          "keyward",
          "a valid operator credential is required (Authorization: Bearer …, or X-Keyward-Credential)",
        );
        if (!allows(operator.role, needed)) {
          throw new ApiError(
            403,
            "forbidden",
            `operator ${operator.name} is a ${operator.role}; this needs ${needed}`,
          );
        }
        c.set("operator", operator);
        await next();
      }),
    body: limitBody(options.maxBodyBytes ?? 4 * 1024 * 1024),
    json: async (c, allowed) => strictObject(await jsonBody(c), allowed),
    async keyringOrFail(keyringDeps = deps) {
      const keyring = await keyringDeps.keyrings.load();
      if (keyring === undefined)
        throw new ApiError(
          404,
          "no_keyring",
          keyringKindOf(keyringDeps).protects === "sessions"
            ? "the sessions keyring does not exist yet: import SESSION_ENCRYPTION_KEY (keyward keys import --keyring sessions --from-env SESSION_ENCRYPTION_KEY) or a random key"
            : "no keyring exists yet",
        );
      return keyring;
    },
    latestExp: () =>
      Math.floor(deps.clock.now() / SECOND) +
      deps.timing.maxTokenLifetimeSeconds +
      deps.timing.clockToleranceSeconds,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
