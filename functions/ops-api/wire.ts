import type { Role } from "../../shared/access/operators.ts";
import type { AuditPage } from "../../shared/audit/journal.ts";
import type { KeyringName } from "../../shared/keyring/names.ts";
import type { PlannedTransition } from "../../shared/keyring/schedule.ts";
import type { KeyImpact } from "../../shared/operations/impact.ts";
import type { RotationRecord } from "../../shared/operations/journal.ts";
import type { RotationOutcome } from "../../shared/operations/rotate.ts";
import type { KeyringStatus } from "../../shared/operations/status.ts";
import type { JwksConsumer } from "../../shared/receipts/jwks-consumer.ts";
import type { PendingReach } from "../../shared/receipts/reach.ts";
import type { Receipt } from "../../shared/receipts/receipt.ts";
import type { Family } from "../../shared/refresh/store.ts";
import type { RevocationRule } from "../../shared/revocation/rules.ts";

/*
 * What the ops API answers, route by route (docs/ops-api.md): the handlers answer with these
 * types and the CLI reads them, so neither can drift from the other.
 */

/** `GET …/keys`. */
export type KeysResponse = KeyringStatus;

/** `POST /v1/keyrings/{name}/init`. */
export interface InitResponse {
  readonly keyring: KeyringName;
  readonly kid: string;
  readonly status: "current";
}

/** `POST …/keys/rotate`. */
export type RotateResponse = Omit<RotationOutcome, "keyring">;

/** `POST …/keys/rollback`. */
export interface RollbackResponse {
  readonly current: string;
}

/** `POST …/keys/{kid}/reinstate`. */
export interface ReinstateResponse {
  readonly kid: string;
  readonly status: "previous";
}

/** `POST …/keys/{kid}/activate` with `force`: what the key does now, and who did not hold it. */
export interface ForcedActivationResponse {
  readonly kid: string;
  readonly step: "activate" | "rollout";
  readonly laggards: readonly string[];
}

/** `POST …/keys/import`: the lifetime under the signing keyring's or the sessions keyring's name. */
export interface ImportResponse {
  readonly kid: string;
  readonly status: "current" | "previous";
  readonly verifyOnly?: boolean;
  readonly tokenLifetimeSeconds?: number;
  readonly sessionLifetimeSeconds?: number;
  readonly warning?: string;
}

/** `GET …/plan?days=`. */
/** `GET …/usage`: the last 24 hours' verifications per key of the keyring, oldest hour first. */
export interface UsageResponse {
  readonly hours: readonly {
    /** The hour's start, ISO 8601. */
    readonly from: string;
    readonly verified: Readonly<Record<string, number>>;
  }[];
}

/** `GET /v1/whoami`: the operator the credential names, and its role. */
export interface WhoamiResponse {
  readonly name: string;
  readonly role: Role;
}

/** `GET …/keys/{kid}/impact`: who would be refused if the key retired now. */
export type ImpactResponse = KeyImpact;

export interface PlanResponse {
  readonly days: number;
  readonly transitions: readonly PlannedTransition[];
}

/** `GET …/journal?since=`. */
export interface JournalResponse {
  readonly since: string;
  readonly rotations: readonly RotationRecord[];
}

/** `GET /v1/audit`. */
export type AuditResponse = AuditPage;

/** `POST /v1/revocations`. */
export type RevokeResponse =
  | { readonly revoked: true; readonly noop: boolean; readonly rule: string }
  | { readonly revoked: false; readonly noop: true; readonly message: string };

/** One item of `POST /v1/revocations/batch`, by its index in the request. */
export interface BatchItemResult {
  readonly index: number;
  readonly ok: boolean;
  readonly noop?: boolean;
  readonly error?: string;
}

export interface BatchResponse {
  readonly items: number;
  readonly revoked: number;
  readonly failed: number;
  readonly results: readonly BatchItemResult[];
}

/** One rule that applies, in a check's answer. */
export interface CheckedRule {
  readonly rule: RevocationRule;
  readonly since: string;
}

/**
 * `GET /v1/revocations/check`: the rule that refuses the most (`rule`, `since`), and every rule
 * that applies (`rules`, that one first).
 */
export type CheckResponse =
  | { readonly revoked: false; readonly message?: string }
  | (CheckedRule & { readonly revoked: true; readonly rules: readonly CheckedRule[] });

/** `GET /v1/families?sub=`. */
export interface FamiliesResponse {
  readonly sub: string;
  readonly families: readonly Family[];
}

/** `GET /v1/sessions?sub=`, the deprecated name of `/v1/families`. */
export interface SessionsResponse {
  readonly sub: string;
  readonly sessions: readonly Family[];
}

/** `GET /v1/verifiers`. */
export interface VerifiersResponse {
  readonly at: string;
  /** An instance is live this long after its last receipt. */
  readonly windowSeconds: number;
  readonly verifiers: readonly Receipt[];
  /** Who fetched the public JWKS in the last day (agent, source network, last fetch). */
  readonly jwksConsumers: readonly JwksConsumer[];
  /**
   * Each keyring's pending key: how many of the keyring's live instances (and, for the signing
   * keyring, JWKS consumers) hold it, and which do not, in words.
   */
  readonly pending: readonly PendingReach[];
}
