import type { IntendedChange } from "../audit/journal.ts";
import { afterInstant, MINUTE, SECOND } from "../kernel/clock.ts";
import { generateKey } from "../keyring/generate.ts";
import { importLegacySecret, type SecretEncoding } from "../keyring/import-legacy.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { prePublicationMs } from "../keyring/policy.ts";
import {
  emergencyRotate,
  publishKey,
  reinstateKey,
  rollback,
  type TransitionResult,
} from "../keyring/transitions.ts";
import { KeyringConflict } from "../keyring-store/store.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import { complete, intend, newChangeId } from "./changes.ts";
import {
  keyringKindOf,
  labelEntry,
  type OperationDeps,
  type OperationResult,
  type Request,
} from "./deps.ts";
import { madeWith, storedKeyringProbe } from "./self-test.ts";

const MAX_ATTEMPTS = 3;

/** A transition's result, or a refusal of the operation itself (codes beyond the transitions'). */
type Change =
  | TransitionResult
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Applies a transition to the stored keyring and commits it, starting again from a fresh load if
 * another writer committed first (a few times, then the conflict is the answer). Before each
 * commit the change is intended in the journal (`describe` says how), so a crash after the commit
 * still journals it.
 */
async function change(
  deps: OperationDeps,
  transition: (keyring: Keyring | undefined, now: number) => Promise<Change>,
  describe: (keyring: Keyring, now: number) => KeyringChange,
  id = newChangeId(deps),
): Promise<{ result: Change; intended?: IntendedChange }> {
  for (let attempt = 1; ; attempt++) {
    const now = deps.clock.now();
    const result = await transition(await deps.keyrings.load(), now);
    if (!result.ok) return { result };
    const intended = await intend(deps, id, describe(result.keyring, now));
    try {
      await deps.keyrings.save(result.keyring);
      return { result, intended };
    } catch (error) {
      // Any other failure may have written (a timeout after the commit): recovery tells.
      if (!(error instanceof KeyringConflict)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        await deps.audit.settle(id);
        return { result: { ok: false, code: "keyring_conflict", message: error.message } };
      }
    }
  }
}

/** What a keyring change records before its commit. */
type KeyringChange = Parameters<typeof intend>[2];

function noKeyring(): Change {
  return {
    ok: false,
    code: "key_not_found",
    message: "no keyring exists yet; import a secret or start the local stack",
  };
}

/** A refused operation: journaled, nothing written, nothing published. */
async function refused(
  deps: OperationDeps,
  request: Request,
  action: string,
  code: string,
  target: string | undefined,
): Promise<void> {
  await deps.audit.append(
    labelEntry(deps, {
      at: new Date(deps.clock.now()).toISOString(),
      actor: request.actor,
      action,
      ...(target === undefined || target === "" ? {} : { target }),
      reason: request.reason,
      result: "refused",
      details: { code },
    }),
  );
}

export interface RotationOutcome {
  readonly mode: "graceful" | "immediate";
  readonly kid: string;
  /** When the new key signs: now for an emergency, after pre-publication for a graceful rotation. */
  readonly activatesAt: string;
  readonly keyring: Keyring;
}

/**
 * graceful: a new key is published as pending; the scheduler activates it once every cached
 * verifier knows it. immediate: see `emergency`.
 */
export async function rotate(
  deps: OperationDeps,
  request: Request & { readonly mode: "graceful" | "immediate" },
): Promise<OperationResult<RotationOutcome>> {
  if (request.mode === "immediate") return emergency(deps, request);
  const alg = deps.policy.algorithm;
  let kid = "";
  const { result, intended } = await change(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      const pending = keyring.keys.find((k) => k.status === "pending");
      // Refused before a key is made, so the journal never names a kid that was never created.
      if (pending !== undefined) {
        return {
          ok: false,
          code: "rotation_in_progress",
          message: `key ${pending.kid} is already pending activation`,
        };
      }
      const key = await generateKey(alg, now, deps.random);
      kid = key.kid;
      return publishKey(keyring, key, now);
    },
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action: "rotate.graceful",
        target: kid,
        reason: request.reason,
      },
      events: [
        {
          type: "KeyCreated",
          at: new Date(now).toISOString(),
          detail: { kid, alg, reason: request.reason, actor: request.actor },
        },
      ],
      proof: { kind: "key", kid, field: "createdAt", atMs: now },
    }),
  );
  if (!result.ok) {
    await refused(deps, request, "rotate.graceful", result.code, undefined);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  const activatesAt = intended?.intendedAt ?? deps.clock.now();
  return {
    ok: true,
    value: {
      mode: "graceful",
      kid,
      activatesAt: new Date(activatesAt + prePublicationMs(deps.policy)).toISOString(),
      keyring: result.keyring,
    },
  };
}

/**
 * Key compromise. The global revocation cut-off and a key rule for every key that still verifies
 * are written first (so tokens signed before are refused at the next request, and tokens an
 * attacker mints with a leaked key are refused by every verifier whatever its cached keyring
 * says), then a new key becomes current and every other key is retired as compromised. The
 * emergency is intended in the journal before the rules: if it stops half-way (a crash, the
 * revocation store failing), the rotation function finishes it, since the key rules alone would
 * refuse the current key's logins.
 */
export async function emergency(
  deps: OperationDeps,
  request: Request,
  id = newChangeId(deps),
): Promise<OperationResult<RotationOutcome>> {
  const startedAt = deps.clock.now();
  const loaded = await deps.keyrings.load();
  // Two responders pressing the button at once: the second would compromise the key the first
  // just made and log out everyone who signed in between.
  const recent = loaded === undefined ? undefined : recentEmergency(loaded, startedAt);
  if (recent !== undefined) {
    await refused(deps, request, "rotate.immediate", "emergency_in_progress", undefined);
    return recent;
  }
  const kids = (loaded?.keys ?? []).filter((k) => k.status !== "destroyed").map((k) => k.kid);
  const rules: RevocationTarget[] = [
    ...(keyringKindOf(deps).emergencyCutsOffAll ? [{ kind: "all" } as const] : []),
    ...kids.map(keyRule),
  ];
  const record = (kid: string, at: number, compromised: readonly string[] = []) => ({
    entry: {
      at: new Date(at).toISOString(),
      actor: request.actor,
      action: "rotate.immediate",
      ...(kid === "" ? {} : { target: kid }),
      reason: request.reason,
    },
    events: [
      {
        type: "EmergencyRotation" as const,
        at: new Date(at).toISOString(),
        detail: { kid, compromised, reason: request.reason, actor: request.actor },
      },
    ],
  });
  await intend(deps, id, {
    ...record("", startedAt),
    proof: { kind: "emergency", atMs: startedAt, targets: rules },
  });
  if (!(await writeRules(deps, rules, startedAt)).ok) {
    return {
      ok: false,
      code: "store_unavailable",
      message:
        "the revocation store did not take the emergency's rules (key rules, and for tokens the global cut-off); the rotation function finishes this emergency once it answers, or retry",
    };
  }
  let kid = "";
  let before: Keyring | undefined;
  const alg = deps.policy.algorithm;
  const { result, intended } = await change(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      // Another emergency committed while this one wrote its rules: it won.
      const won = keyring.revision !== loaded?.revision ? recentEmergency(keyring, now) : undefined;
      if (won !== undefined) return won;
      before = keyring;
      const key = await generateKey(alg, now, deps.random);
      kid = key.kid;
      return emergencyRotate(keyring, key, now);
    },
    (_, now) => ({
      ...record(kid, now),
      proof: {
        kind: "emergency",
        atMs: startedAt,
        targets: rules,
        key: { kid, atMs: now },
      },
    }),
    id,
  );
  if (!result.ok || before === undefined || intended === undefined) {
    if (!result.ok && result.code === "keyring_conflict") {
      // The key rules are written and may refuse the current key: recovery finishes the emergency.
      await intend(deps, id, {
        ...record("", startedAt),
        proof: { kind: "emergency", atMs: startedAt, targets: rules },
      });
      return {
        ...result,
        message: `${result.message}; the rotation function finishes this emergency, or retry`,
      };
    }
    await deps.audit.settle(id);
    await refused(
      deps,
      request,
      "rotate.immediate",
      result.ok ? "key_not_found" : result.code,
      undefined,
    );
    return result.ok
      ? { ok: false, code: "key_not_found", message: "no keyring exists yet" }
      : result;
  }
  const now = deps.clock.now();
  const compromised = newlyCompromised(before, result.keyring);
  // A key another writer added between the first read and the commit has no rule yet.
  const unruled = compromised.filter((k) => !kids.includes(k));
  const lateRules =
    unruled.length === 0 ? { ok: true } : await writeRules(deps, unruled.map(keyRule), now);
  // The verification table of the runbook: old tokens refused, new ones accepted. There is no
  // going back from an emergency, so a failure is announced, not rolled back.
  const failure = lateRules.ok
    ? await emergencySelfTest(deps, before, result.keyring, now)
    : `the key rules of ${unruled.join(", ")} were not written: revoke them with revoke --kid`;
  const done = record(kid, now, compromised);
  await complete(deps, intended, {
    entry: {
      ...done.entry,
      result: "ok",
      details: {
        replaces: currentKid(before),
        compromised: compromised.join(" "),
        selfTest: failure === undefined ? "passed" : "failed",
      },
    },
    events: [
      ...done.events,
      ...(failure === undefined
        ? []
        : [
            {
              type: "RotationFailed" as const,
              at: done.entry.at,
              detail: { reason: "self_test_failed", detail: failure, kid },
            },
          ]),
    ],
  });
  if (failure !== undefined) return { ok: false, code: "self_test_failed", message: failure };
  return {
    ok: true,
    value: {
      mode: "immediate",
      kid,
      activatesAt: new Date(now).toISOString(),
      keyring: result.keyring,
    },
  };
}

/** An emergency within this long of another is refused: it would undo the first one's key. */
export const EMERGENCY_WINDOW_MS = MINUTE;

/** The refusal of an emergency when another one made the current key within the window. */
function recentEmergency(
  keyring: Keyring,
  now: number,
): { ok: false; code: string; message: string } | undefined {
  const current = keyring.keys.find((k) => k.status === "current");
  const at = current?.activatedAt;
  if (current === undefined || at === undefined || now - at >= EMERGENCY_WINDOW_MS)
    return undefined;
  if (!keyring.keys.some((k) => k.compromised && k.retiredAt === at)) return undefined;
  return {
    ok: false,
    code: "emergency_in_progress",
    message: `an emergency rotation made key ${current.kid} current at ${new Date(at).toISOString()}; if that key leaked too, run it again after ${new Date(at + EMERGENCY_WINDOW_MS).toISOString()}`,
  };
}

/** The keys a transition compromised: the ones that were not compromised before it. */
function newlyCompromised(before: Keyring, after: Keyring): string[] {
  const was = new Set(before.keys.filter((k) => k.compromised).map((k) => k.kid));
  return after.keys.filter((k) => k.compromised && !was.has(k.kid)).map((k) => k.kid);
}

/** Writes revocation rules at `atMs` in one store call; ok only if every one of them was taken. */
export async function writeRules(
  deps: OperationDeps,
  targets: readonly RevocationTarget[],
  atMs: number,
): Promise<{ ok: boolean }> {
  const results = await deps.revocations.revoke(targets, atMs);
  await afterInstant(deps.clock, atMs);
  return { ok: results.length === targets.length && results.every((r) => r.ok) };
}

/** Swaps current and the most recent previous key (never a compromised one). */
export async function rollbackKeys(
  deps: OperationDeps,
  request: Request,
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  let replaced = "";
  const { result, intended } = await change(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      replaced = currentKid(keyring);
      return rollback(keyring, now);
    },
    (keyring, now) => {
      const kid = currentKid(keyring);
      const at = new Date(now).toISOString();
      return {
        entry: {
          at,
          actor: request.actor,
          action: "rollback",
          target: kid,
          reason: request.reason,
          details: { replaces: replaced },
        },
        events: [
          {
            type: "KeyRolledBack",
            at,
            detail: { kid, replaces: replaced, reason: request.reason, actor: request.actor },
          },
        ],
        proof: { kind: "key", kid, field: "activatedAt", atMs: now },
      };
    },
  );
  if (!result.ok) {
    await refused(deps, request, "rollback", result.code, undefined);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid: currentKid(result.keyring), keyring: result.keyring } };
}

/**
 * A retired key verifies again, as `previous` (DESIGN.md: retired is reversible until destroyed;
 * never for a compromised key). Roll back afterwards to make it sign again.
 */
export async function reinstate(
  deps: OperationDeps,
  request: Request & { readonly kid: string },
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  const { kid } = request;
  const { result, intended } = await change(
    deps,
    async (keyring, now) => (keyring === undefined ? noKeyring() : reinstateKey(keyring, kid, now)),
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action: "reinstate",
        target: kid,
        reason: request.reason,
      },
      events: [
        {
          type: "KeyReinstated",
          at: new Date(now).toISOString(),
          detail: { kid, reason: request.reason, actor: request.actor },
        },
      ],
      proof: { kind: "key", kid, field: "deactivatedAt", atMs: now },
    }),
  );
  if (!result.ok) {
    await refused(deps, request, "reinstate", result.code, kid);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid, keyring: result.keyring } };
}

function keyRule(kid: string): RevocationTarget {
  return { kind: "kid", kid };
}

function currentKid(keyring: Keyring): string {
  return keyring.keys.find((k) => k.status === "current")?.kid ?? "";
}

export interface ImportOutcome {
  readonly kid: string;
  readonly status: "current" | "previous";
  /** The secret is under 32 bytes: it verifies its tokens and never signs. */
  readonly verifyOnly: boolean;
  readonly keyring: Keyring;
}

/**
 * Migration (DESIGN.md, "Migration"): an existing secret becomes the current key, or, when it is
 * too short to sign with, a verify-only previous key beside a generated current one. The legacy
 * system's token lifetime must fit the maximum token lifetime: longer-lived tokens would be
 * refused (`lifetime_exceeded`), and revocation cut-offs would lapse before them. On the sessions
 * keyring the secret is a `SESSION_ENCRYPTION_KEY` (exactly 32 bytes) and the lifetime is the
 * legacy sessions': it must fit the maximum session lifetime, or the key could retire under them.
 */
export async function importSecret(
  deps: OperationDeps,
  request: Request & {
    readonly secret: string;
    readonly encoding: SecretEncoding;
    readonly tokenLifetimeSeconds: number;
  },
): Promise<OperationResult<ImportOutcome>> {
  const maxSeconds = deps.policy.maxTokenLifetimeMs / SECOND;
  const sessions = keyringKindOf(deps).protects === "sessions";
  if (request.tokenLifetimeSeconds > maxSeconds) {
    const code = "lifetime_too_long";
    await refused(deps, request, "keys.import", code, undefined);
    return {
      ok: false,
      code,
      message: sessions
        ? `the legacy system's sessions live ${request.tokenLifetimeSeconds} s, longer than the maximum session lifetime (${maxSeconds} s): set KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS to at least ${request.tokenLifetimeSeconds} first, or the key could retire while sessions sealed with it are alive`
        : `the legacy system's tokens live ${request.tokenLifetimeSeconds} s, longer than the maximum token lifetime (${maxSeconds} s): set KEYWARD_MAX_TOKEN_LIFETIME_SECONDS to at least ${request.tokenLifetimeSeconds} on every function first, or its tokens would be refused`,
    };
  }
  let replaced = "";
  let kid = "";
  const signingKey = await generateKey(deps.policy.algorithm, deps.clock.now(), deps.random);
  const { result, intended } = await change(
    deps,
    async (keyring, now) => {
      replaced = keyring === undefined ? "" : currentKid(keyring);
      return importLegacySecret(
        keyring,
        request.secret,
        request.encoding,
        now,
        deps.random,
        signingKey,
        sessions ? "A256GCM" : "HS256",
      );
    },
    (keyring, now) => {
      kid = importedKid(keyring, now);
      const at = new Date(now).toISOString();
      const verifyOnly = keyring.keys.some((k) => k.kid === kid && k.verifyOnly);
      return {
        entry: {
          at,
          actor: request.actor,
          action: "keys.import",
          target: kid,
          reason: request.reason,
          details: {
            ...(replaced === "" || verifyOnly ? {} : { replaces: replaced }),
            ...(verifyOnly ? { verifyOnly: true } : {}),
            [sessions ? "sessionLifetimeSeconds" : "tokenLifetimeSeconds"]:
              request.tokenLifetimeSeconds,
          },
        },
        events: [
          {
            type: "KeyImported",
            at,
            detail: {
              kid,
              encoding: request.encoding,
              verifyOnly,
              reason: request.reason,
              actor: request.actor,
            },
          },
        ],
        proof: { kind: "key", kid, field: "createdAt", atMs: now },
      };
    },
  );
  if (!result.ok) {
    await refused(deps, request, "keys.import", result.code, undefined);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  const key = result.keyring.keys.find((k) => k.kid === kid);
  return {
    ok: true,
    value: {
      kid,
      status: key?.status === "previous" ? "previous" : "current",
      verifyOnly: key?.verifyOnly === true,
      keyring: result.keyring,
    },
  };
}

/** The legacy key an import created at `now`. */
function importedKid(keyring: Keyring, now: number): string {
  return keyring.keys.find((k) => k.legacy && k.createdAt === now)?.kid ?? "";
}

/** After an emergency, against the keyring as stored: a token of the old key is refused, one of the new key accepted. */
async function emergencySelfTest(
  deps: OperationDeps,
  before: Keyring,
  intended: Keyring,
  now: number,
): Promise<string | undefined> {
  const probe = await storedKeyringProbe(deps, now);
  if (probe === undefined) return "the keyring vanished after the commit";
  const made = madeWith(deps);
  const old = await probe(before);
  if (old.ok || old.reason !== "key_compromised") {
    return `${made} the compromised key is not refused as such (${old.ok ? "allowed" : old.reason})`;
  }
  const fresh = await probe(intended);
  if (!fresh.ok) return `${made} the new key is refused (${fresh.reason})`;
  return undefined;
}
