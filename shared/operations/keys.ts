import { afterInstant } from "../clock.ts";
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
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import { storedKeyringProbe } from "./tick.ts";

const MAX_ATTEMPTS = 3;

/** A transition's result, or a refusal of the operation itself (codes beyond the transitions'). */
type Change =
  | TransitionResult
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Applies a transition to the stored keyring and commits it, starting again from a fresh load if
 * another writer committed first (a few times, then the conflict is the answer).
 */
async function change(
  deps: OperationDeps,
  transition: (keyring: Keyring | undefined, now: number) => Promise<Change>,
): Promise<Change> {
  for (let attempt = 1; ; attempt++) {
    const now = deps.clock.now();
    const result = await transition(await deps.keyrings.load(), now);
    if (!result.ok) return result;
    try {
      await deps.keyrings.save(result.keyring);
      return result;
    } catch (error) {
      if (!(error instanceof KeyringConflict) || attempt >= MAX_ATTEMPTS) {
        if (error instanceof KeyringConflict)
          return { ok: false, code: "keyring_conflict", message: error.message };
        throw error;
      }
    }
  }
}

function noKeyring(): Change {
  return {
    ok: false,
    code: "key_not_found",
    message: "no keyring exists yet; import a secret or start the local stack",
  };
}

async function record(
  deps: OperationDeps,
  request: Request,
  action: string,
  result: { ok: boolean; code?: string },
  target: string | undefined,
  events: Parameters<OperationDeps["events"]["publish"]>[0],
  details: Readonly<Record<string, string>> = {},
): Promise<void> {
  const shown = result.ok || result.code === undefined ? details : { code: result.code };
  await deps.audit.append({
    at: new Date(deps.clock.now()).toISOString(),
    actor: request.actor,
    action,
    ...(target === undefined ? {} : { target }),
    reason: request.reason,
    result: result.ok ? "ok" : "refused",
    ...(Object.keys(shown).length === 0 ? {} : { details: shown }),
  });
  if (result.ok && events.length > 0) await deps.events.publish(events);
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
 * verifier knows it. immediate (key compromise): the global revocation cut-off and a key rule for
 * every key that still verifies are written first (so tokens signed before are refused at the next
 * request, and tokens an attacker mints with a leaked key are refused by every verifier whatever
 * its cached keyring says), then a new key becomes current and every other key is retired as
 * compromised.
 */
export async function rotate(
  deps: OperationDeps,
  request: Request & { readonly mode: "graceful" | "immediate" },
): Promise<OperationResult<RotationOutcome>> {
  const alg = deps.policy.algorithm;
  const keyRules = new Set<string>();
  if (request.mode === "immediate") {
    const kids = ((await deps.keyrings.load())?.keys ?? [])
      .filter((k) => k.status !== "destroyed")
      .map((k) => k.kid);
    const written = await writeRules(deps, [{ kind: "all" }, ...kids.map(keyRule)]);
    if (!written.ok) {
      await record(
        deps,
        request,
        "rotate.immediate",
        { ok: false, code: "store_unavailable" },
        undefined,
        [],
      );
      return {
        ok: false,
        code: "store_unavailable",
        message:
          "the revocation store did not take the global cut-off and the key rules; nothing was rotated",
      };
    }
    for (const kid of kids) keyRules.add(kid);
  }
  let kid = "";
  let before: Keyring | undefined;
  const result = await change(deps, async (keyring, now) => {
    if (keyring === undefined) return noKeyring();
    before = keyring;
    kid = "";
    const pending = keyring.keys.find((k) => k.status === "pending");
    // Refused before a key is made, so the journal never names a kid that was never created.
    if (request.mode === "graceful" && pending !== undefined) {
      return {
        ok: false,
        code: "rotation_in_progress",
        message: `key ${pending.kid} is already pending activation`,
      };
    }
    const key = await generateKey(alg, now, deps.random);
    kid = key.kid;
    if (request.mode === "immediate") return emergencyRotate(keyring, key, now);
    return publishKey(keyring, key, now);
  });
  const now = deps.clock.now();
  const at = new Date(now).toISOString();
  // The keys this rotation compromised: the ones that were not compromised before it.
  const wasCompromised = new Set(before?.keys.filter((k) => k.compromised).map((k) => k.kid));
  const compromised = result.ok
    ? result.keyring.keys
        .filter((k) => k.compromised && !wasCompromised.has(k.kid))
        .map((k) => k.kid)
    : [];
  // A key another writer added between the first read and the commit has no rule yet.
  const unruled = compromised.filter((k) => !keyRules.has(k));
  const lateRules =
    unruled.length === 0 ? { ok: true } : await writeRules(deps, unruled.map(keyRule));
  const events =
    request.mode === "immediate"
      ? [
          {
            type: "EmergencyRotation" as const,
            at,
            detail: { kid, compromised, reason: request.reason, actor: request.actor },
          },
        ]
      : [
          {
            type: "KeyCreated" as const,
            at,
            detail: { kid, alg, reason: request.reason, actor: request.actor },
          },
        ];
  if (!result.ok || request.mode === "graceful" || before === undefined) {
    await record(deps, request, `rotate.${request.mode}`, result, kid || undefined, events);
    if (!result.ok) return result;
  } else {
    // The verification table of the runbook: old tokens refused, new ones accepted. There is no
    // going back from an emergency, so a failure is announced, not rolled back.
    const failure = lateRules.ok
      ? await emergencySelfTest(deps, before, result.keyring, now)
      : `the key rules of ${unruled.join(", ")} were not written: revoke them with revoke --kid`;
    await record(deps, request, "rotate.immediate", result, kid, events, {
      replaces: currentKid(before),
      compromised: compromised.join(" "),
      selfTest: failure === undefined ? "passed" : "failed",
    });
    if (failure !== undefined) {
      await deps.events.publish([
        {
          type: "RotationFailed",
          at,
          detail: { reason: "self_test_failed", detail: failure, kid },
        },
      ]);
      return { ok: false, code: "self_test_failed", message: failure };
    }
  }
  const activatesAt = request.mode === "immediate" ? now : now + prePublicationMs(deps.policy);
  return {
    ok: true,
    value: {
      mode: request.mode,
      kid,
      activatesAt: new Date(activatesAt).toISOString(),
      keyring: result.keyring,
    },
  };
}

/** Writes revocation rules in one store call; ok only if every one of them was taken. */
async function writeRules(
  deps: OperationDeps,
  targets: readonly RevocationTarget[],
): Promise<{ ok: boolean }> {
  const now = deps.clock.now();
  const results = await deps.revocations.revoke(targets, now);
  await afterInstant(deps.clock, now);
  return { ok: results.length === targets.length && results.every((r) => r.ok) };
}

/** Swaps current and the most recent previous key (never a compromised one). */
export async function rollbackKeys(
  deps: OperationDeps,
  request: Request,
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  let replaced = "";
  const result = await change(deps, async (keyring, now) => {
    if (keyring === undefined) return noKeyring();
    replaced = currentKid(keyring);
    return rollback(keyring, now);
  });
  const kid = result.ok ? currentKid(result.keyring) : "";
  await record(
    deps,
    request,
    "rollback",
    result,
    kid || undefined,
    [
      {
        type: "KeyRolledBack",
        at: new Date(deps.clock.now()).toISOString(),
        detail: { kid, replaces: replaced, reason: request.reason, actor: request.actor },
      },
    ],
    { replaces: replaced },
  );
  return result.ok ? { ok: true, value: { kid, keyring: result.keyring } } : result;
}

/**
 * A retired key verifies again, as `previous` (DESIGN.md: retired is reversible until destroyed;
 * never for a compromised key). Roll back afterwards to make it sign again.
 */
export async function reinstate(
  deps: OperationDeps,
  request: Request & { readonly kid: string },
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  const result = await change(deps, async (keyring, now) =>
    keyring === undefined ? noKeyring() : reinstateKey(keyring, request.kid, now),
  );
  await record(deps, request, "reinstate", result, request.kid, [
    {
      type: "KeyReinstated",
      at: new Date(deps.clock.now()).toISOString(),
      detail: { kid: request.kid, reason: request.reason, actor: request.actor },
    },
  ]);
  return result.ok ? { ok: true, value: { kid: request.kid, keyring: result.keyring } } : result;
}

function keyRule(kid: string): RevocationTarget {
  return { kind: "kid", kid };
}

function currentKid(keyring: Keyring): string {
  return keyring.keys.find((k) => k.status === "current")?.kid ?? "";
}

/** Migration: an existing secret becomes the current key (DESIGN.md, "Migration"). */
export async function importSecret(
  deps: OperationDeps,
  request: Request & { readonly secret: string; readonly encoding: SecretEncoding },
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  let replaced = "";
  const result = await change(deps, async (keyring, now) => {
    replaced = keyring === undefined ? "" : currentKid(keyring);
    return importLegacySecret(keyring, request.secret, request.encoding, now, deps.random);
  });
  const kid = result.ok
    ? (result.keyring.keys.find((k) => k.legacy && k.status === "current")?.kid ?? "")
    : "";
  await record(
    deps,
    request,
    "keys.import",
    result,
    kid || undefined,
    [
      {
        type: "KeyImported",
        at: new Date(deps.clock.now()).toISOString(),
        detail: { kid, encoding: request.encoding, reason: request.reason, actor: request.actor },
      },
    ],
    replaced === "" ? {} : { replaces: replaced },
  );
  return result.ok ? { ok: true, value: { kid, keyring: result.keyring } } : result;
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
  const old = await probe(before);
  if (old.ok || old.reason !== "key_compromised") {
    return `a token of the compromised key is not refused as such (${old.ok ? "allowed" : old.reason})`;
  }
  const fresh = await probe(intended);
  if (!fresh.ok) return `a token of the new key is refused (${fresh.reason})`;
  return undefined;
}
