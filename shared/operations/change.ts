import {
  type AuditEntry,
  type ChangeProof,
  type IntendedChange,
  sanitizeEntry,
} from "../audit/journal.ts";
import type { KeywardEvent } from "../events/events.ts";
import { encodeBase64url } from "../kernel/base64url.ts";
import { afterInstant } from "../kernel/clock.ts";
import { redactTokens } from "../kernel/redact.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { TransitionResult } from "../keyring/transitions.ts";
import { KeyringConflict } from "../keyring-store/store.ts";
import { createLogger } from "../observability/log.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import { reconcileCustody } from "./custody.ts";
import { labelEntry, labelEvent, type OperationDeps, type Request } from "./deps.ts";
import { type Refused, refusal } from "./refusals.ts";

/*
 * How every operation changes things: the change is intended in the journal (its entry, events
 * and how to tell later whether its write happened), written, then completed (entry appended,
 * events published, intent settled). A crash between the steps leaves an intent the rotation
 * function finishes (`recoverChanges`).
 */
const log = createLogger("keyward-operations");

const MAX_ATTEMPTS = 3;

/** A transition's result, or a refusal of the operation itself. */
export type Change = TransitionResult | Refused;

/** What a keyring change records before its commit. */
export type KeyringChange = Parameters<typeof intend>[2];

/**
 * Applies a transition to the stored keyring and commits it, starting again from a fresh load if
 * another writer committed first (a few times, then the conflict is the answer). Before each
 * commit the change is intended (`describe` says how), so a crash after the commit still
 * journals it.
 */
export async function commitChange(
  deps: OperationDeps,
  transition: (keyring: Keyring | undefined, now: number) => Promise<Change>,
  describe: (keyring: Keyring, now: number) => KeyringChange,
  id = newChangeId(deps),
): Promise<{ result: Change; intended?: IntendedChange }> {
  for (let attempt = 1; ; attempt++) {
    const now = deps.clock.now();
    const result = await transition(await deps.keyrings.load(), now);
    if (!result.ok) return { result };
    const change = describe(result.keyring, now);
    const intended = await intend(deps, id, change);
    try {
      await deps.keyrings.save(result.keyring);
    } catch (error) {
      // Any other failure may have written (a timeout after the commit): recovery tells.
      if (!(error instanceof KeyringConflict)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        await deps.audit.settle(id);
        return { result: refusal("keyring_conflict", error.message) };
      }
      continue;
    }
    // Committed: KMS (where it holds the keys) follows at once, e.g. disabling what an emergency
    // compromised.
    await reconcileCustody(deps, result.keyring, change.entry.actor, now);
    return { result, intended };
  }
}

/** The refusal of an operation on a keyring that does not exist yet. */
export function noKeyring(): Refused {
  return refusal(
    "key_not_found",
    "no keyring exists yet; import a secret or start the local stack",
  );
}

/** A refused operation is journaled; nothing is written, nothing published. */
export async function journalRefusal(
  deps: OperationDeps,
  request: Request,
  action: string,
  code: string,
  target?: string,
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

/**
 * Writes revocation rules at `atMs` in one store call; ok only if every one of them was taken.
 * `logged`: the change-log entries they were appended as, where the store says.
 */
export async function writeRules(
  deps: OperationDeps,
  targets: readonly RevocationTarget[],
  atMs: number,
): Promise<{ ok: boolean; logged: string[] }> {
  const results = await deps.revocations.revoke(targets, atMs);
  await afterInstant(deps.clock, atMs);
  return {
    ok: results.length === targets.length && results.every((r) => r.ok),
    logged: results.flatMap((r) => (r.ok && r.logged !== undefined ? [r.logged] : [])),
  };
}

export function newChangeId(deps: Pick<OperationDeps, "random">): string {
  return encodeBase64url(deps.random.bytes(12));
}

/**
 * Records a change in the journal before its first store write: its entry and events as they will
 * be once it is done, and how to tell later whether its write happened. Called again with the same
 * id when what is about to be written changes (a retry after a conflict). If this fails, nothing
 * has been written and the caller answers that the store is unavailable.
 */
export async function intend(
  deps: Pick<OperationDeps, "audit" | "clock" | "keyringName">,
  id: string,
  change: {
    readonly entry: Omit<AuditEntry, "result">;
    readonly events: readonly KeywardEvent[];
    readonly proof: ChangeProof;
  },
): Promise<IntendedChange> {
  const intended: IntendedChange = {
    id,
    intendedAt: deps.clock.now(),
    // Stored as it is until settled: redacted like the journal entry it becomes.
    entry: sanitizeEntry(withChange(labelEntry(deps, { ...change.entry, result: "ok" }), id)),
    events: change.events.map((event) => redactEvent(labelEvent(deps, event))),
    proof: change.proof,
  };
  await deps.audit.intend(intended);
  return intended;
}

/**
 * After the store writes: the change's journal entry, its events, and the change settled. The
 * change is in force by now, so a failure here is not the caller's failure: the change stays
 * intended and the rotation function journals and publishes it (`recoverChanges`).
 */
export async function complete(
  deps: Pick<OperationDeps, "audit" | "events" | "keyringName">,
  intended: IntendedChange,
  outcome: { readonly entry?: AuditEntry; readonly events?: readonly KeywardEvent[] } = {},
): Promise<void> {
  try {
    await deps.audit.append(
      withChange(labelEntry(deps, outcome.entry ?? intended.entry), intended.id),
    );
    const events = (outcome.events ?? intended.events).map((event) =>
      redactEvent(labelEvent(deps, event)),
    );
    if (events.length > 0) await deps.events.publish(events);
    await deps.audit.settle(intended.id);
  } catch (error) {
    log.warn("change done but not yet journaled; the rotation function will finish it", {
      change: intended.id,
      action: intended.entry.action,
      error,
    });
  }
}

function withChange(entry: AuditEntry, id: string): AuditEntry {
  return { ...entry, details: { ...entry.details, change: id } };
}

/** Event details carry reasons and targets, which may hold pasted tokens. */
export function redactEvent(event: KeywardEvent): KeywardEvent {
  return {
    ...event,
    detail: Object.fromEntries(
      Object.entries(event.detail).map(([name, value]) => [
        name,
        typeof value === "string"
          ? redactTokens(value)
          : Array.isArray(value)
            ? value.map((v: string) => redactTokens(v))
            : value,
      ]),
    ),
  };
}
