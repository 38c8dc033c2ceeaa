import { MINUTE } from "../kernel/clock.ts";
import { currentKid, type Keyring } from "../keyring/keyring.ts";
import { emergencyRotate } from "../keyring/transitions.ts";
import { awaitEnforcement, enforcementText, laterStreamId } from "../receipts/enforcement.ts";
import type { ReceiptReader } from "../receipts/store.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import {
  commitChange,
  complete,
  intend,
  journalRefusal,
  newChangeId,
  noKeyring,
  writeRules,
} from "./change.ts";
import { newKeyOnce } from "./custody.ts";
import { keyringKindOf, type OperationDeps, type OperationResult, type Request } from "./deps.ts";
import { type Refused, refusal } from "./refusals.ts";
import type { RotationOutcome } from "./rotate.ts";
import { emergencySelfTest } from "./self-test.ts";

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
  deps: OperationDeps & { readonly receipts?: ReceiptReader },
  request: Request,
  id = newChangeId(deps),
): Promise<OperationResult<RotationOutcome>> {
  const startedAt = deps.clock.now();
  const loaded = await deps.keyrings.load();
  // Two responders pressing the button at once: the second would compromise the key the first
  // just made and log out everyone who signed in between.
  const recent = loaded === undefined ? undefined : recentEmergency(loaded, startedAt);
  if (recent !== undefined) {
    await journalRefusal(deps, request, "rotate.immediate", "emergency_in_progress");
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
  const written = await writeRules(deps, rules, startedAt);
  if (!written.ok) {
    return refusal(
      "store_unavailable",
      "the revocation store did not take the emergency's rules (key rules, and for tokens the global cut-off); the rotation function finishes this emergency once it answers, or retry",
    );
  }
  let kid = "";
  let before: Keyring | undefined;
  const made = newKeyOnce(deps);
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      // Another emergency committed while this one wrote its rules: it won.
      const won = keyring.revision !== loaded?.revision ? recentEmergency(keyring, now) : undefined;
      if (won !== undefined) return won;
      before = keyring;
      const key = await made.make(now);
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
    await made.abandon();
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
    await journalRefusal(
      deps,
      request,
      "rotate.immediate",
      result.ok ? "key_not_found" : result.code,
    );
    return result.ok ? noKeyring() : result;
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
  const enforcement = await reachOfRules(deps, written.logged, result.keyring.revision);
  const done = record(kid, now, compromised);
  await complete(deps, intended, {
    entry: {
      ...done.entry,
      result: "ok",
      details: {
        replaces: currentKid(before),
        compromised: compromised.join(" "),
        selfTest: failure === undefined ? "passed" : "failed",
        ...(enforcement === undefined ? {} : { enforcement }),
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
  if (failure !== undefined) return refusal("self_test_failed", failure);
  return {
    ok: true,
    value: {
      mode: "immediate",
      kid,
      activatesAt: new Date(now).toISOString(),
      ...(enforcement === undefined ? {} : { enforcement }),
      keyring: result.keyring,
    },
  };
}

/**
 * How far the emergency reached, in words, where the verifiers' receipts are kept and the store
 * logged the rules (their last entry: a mirror past it applied them all; a verifier with the
 * emergency's keyring revision refuses the compromised keys by itself). Receipts that cannot be
 * read say so rather than fail the emergency, which is done by now.
 */
async function reachOfRules(
  deps: OperationDeps & { readonly receipts?: ReceiptReader },
  logged: readonly string[],
  revision: number,
): Promise<string | undefined> {
  const last = logged.reduce<string | undefined>(
    (latest, id) => (latest === undefined || laterStreamId(id, latest) ? id : latest),
    undefined,
  );
  if (deps.receipts === undefined || last === undefined) return undefined;
  try {
    const reach = await awaitEnforcement(
      deps.receipts,
      deps.keyringName,
      { logged: last, revision },
      deps.clock,
    );
    return reach === undefined ? undefined : enforcementText(reach);
  } catch {
    return "not measured: the verifiers' receipts could not be read";
  }
}

/** An emergency within this long of another is refused: it would undo the first one's key. */
export const EMERGENCY_WINDOW_MS = MINUTE;

/** The refusal of an emergency when another one made the current key within the window. */
function recentEmergency(keyring: Keyring, now: number): Refused | undefined {
  const current = keyring.keys.find((k) => k.status === "current");
  const at = current?.activatedAt;
  if (current === undefined || at === undefined || now - at >= EMERGENCY_WINDOW_MS)
    return undefined;
  if (!keyring.keys.some((k) => k.compromised && k.retiredAt === at)) return undefined;
  return refusal(
    "emergency_in_progress",
    `an emergency rotation made key ${current.kid} current at ${new Date(at).toISOString()}; if that key leaked too, run it again after ${new Date(at + EMERGENCY_WINDOW_MS).toISOString()}`,
  );
}

/** The keys a transition compromised: the ones that were not compromised before it. */
function newlyCompromised(before: Keyring, after: Keyring): string[] {
  const was = new Set(before.keys.filter((k) => k.compromised).map((k) => k.kid));
  return after.keys.filter((k) => k.compromised && !was.has(k.kid)).map((k) => k.kid);
}

function keyRule(kid: string): RevocationTarget {
  return { kind: "kid", kid };
}
