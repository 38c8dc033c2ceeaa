import {
  type AuditEntry,
  type ChangeProof,
  type IntendedChange,
  sanitizeEntry,
} from "../audit/journal.ts";
import type { KeywardEvent } from "../events/events.ts";
import { encodeBase64url } from "../kernel/base64url.ts";
import { redactTokens } from "../kernel/redact.ts";
import { createLogger } from "../observability/log.ts";
import { labelEntry, labelEvent, type OperationDeps } from "./deps.ts";

const log = createLogger("keyward-operations");

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
