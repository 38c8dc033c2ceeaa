import type { AuditJournal } from "../audit/journal.ts";
import type { EventPublisher } from "../events/events.ts";
import type { RefreshOptions } from "./settings.ts";

/**
 * What an issuer does once a reused refresh token has revoked its family: a journal entry and a
 * `RefreshTokenReused` event (counted as a metric by the events metrics decorator, shared/events/metrics.ts), naming the
 * family and the subject, never the token. The revocation is already done by then; a journal or
 * bus that fails does not undo it, and does not keep the other one from being written.
 */
export function reportReuse(
  deps: { readonly audit: AuditJournal; readonly events: EventPublisher },
  actor: string,
): NonNullable<RefreshOptions["onReused"]> {
  return async ({ familyId, sub, atMs }) => {
    const at = new Date(atMs).toISOString();
    await Promise.allSettled([
      deps.audit.append({
        at,
        actor,
        action: "refresh.reused",
        target: `family:${familyId}`,
        reason: "a used refresh token was presented again after its grace: family revoked",
        result: "ok",
        details: { sub },
      }),
      deps.events.publish([{ type: "RefreshTokenReused", at, detail: { sub, familyId } }]),
    ]);
  };
}
