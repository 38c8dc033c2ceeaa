import type { AuditEntry, IntendedChange } from "../audit/journal.ts";
import type { KeywardEvent } from "../events/events.ts";
import { MINUTE } from "../kernel/clock.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import { redactEvent, writeRules } from "./change.ts";
import { keyringOfEntry, labelEvent, type OperationDeps } from "./deps.ts";
import { emergency } from "./emergency.ts";

/** An intended change younger than this may still be running: recovery leaves it alone. */
export const RECOVERY_GRACE_MS = MINUTE;

export interface RecoveredChange {
  readonly id: string;
  readonly action: string;
  /** done: it had taken effect and is journaled now; finished: recovery completed it; not-done: it never took effect. */
  readonly outcome: "done" | "finished" | "not-done";
}

/**
 * Finishes the changes a crash (or a store failing after the write) left intended but not
 * journaled: each gets its journal entry and its events, marked `recovered`. Revocations are
 * written again with their original instant (a no-op if they were written); a keyring change is
 * journaled as done if the stored keyring shows it, as not done otherwise; an emergency that
 * never reached the keyring is run again unless a later one replaced it. Run by every tick, for
 * the changes of the keyring `deps` holds.
 */
export async function recoverChanges(
  deps: OperationDeps,
  now: number,
  graceMs = RECOVERY_GRACE_MS,
): Promise<RecoveredChange[]> {
  const keyring = deps.keyringName;
  // Each keyring's tick finishes the changes made on it; revocations belong to the signing one.
  const due = (await deps.audit.unsettled()).filter(
    (c) => c.intendedAt + graceMs <= now && keyringOfEntry(c.entry) === keyring,
  );
  if (due.length === 0) return [];
  const journaled = await journaledChanges(deps);
  const recovered: RecoveredChange[] = [];
  for (const change of due) {
    const outcome = journaled.has(change.id)
      ? await republish(deps, change)
      : await recoverOne(deps, change);
    if (outcome !== undefined)
      recovered.push({ id: change.id, action: change.entry.action, outcome });
  }
  return recovered;
}

/** Journaled, perhaps not published: events are delivered at least once. */
async function republish(
  deps: OperationDeps,
  change: IntendedChange,
): Promise<RecoveredChange["outcome"]> {
  if (change.events.length > 0) await deps.events.publish(change.events.map(redactEvent));
  await deps.audit.settle(change.id);
  return "done";
}

async function recoverOne(
  deps: OperationDeps,
  change: IntendedChange,
): Promise<RecoveredChange["outcome"] | undefined> {
  const { proof } = change;
  switch (proof.kind) {
    case "revocations": {
      const results = await deps.revocations.revoke(proof.targets, proof.atMs, proof.options);
      const revoked = results.filter((r) => r.ok).length;
      // The store still fails: the next tick tries again.
      if (revoked === 0 && results.length > 0) return undefined;
      await finish(deps, change, "ok", change.events, {
        revoked,
        failed: results.length - revoked,
      });
      return "done";
    }
    case "key": {
      const key = (await deps.keyrings.load())?.keys.find((k) => k.kid === proof.kid);
      if (key !== undefined && key[proof.field] === proof.atMs) {
        await finish(deps, change, "ok", change.events);
        return "done";
      }
      await notDone(deps, change);
      return "not-done";
    }
    case "rollout": {
      const rollout = (await deps.keyrings.load())?.rollout;
      if (rollout?.kid === proof.kid && rollout.since === proof.atMs) {
        await finish(deps, change, "ok", change.events);
        return "done";
      }
      await notDone(deps, change);
      return "not-done";
    }
    case "emergency": {
      const keyring = await deps.keyrings.load();
      const landed =
        proof.key !== undefined &&
        keyring?.keys.some((k) => k.kid === proof.key?.kid && k.activatedAt === proof.key.atMs);
      if (landed && keyring !== undefined) {
        const compromised = keyring.keys
          .filter((k) => k.compromised && k.status !== "destroyed")
          .map((k) => k.kid);
        const rules: RevocationTarget[] = [
          ...proof.targets,
          ...compromised.map((kid): RevocationTarget => ({ kind: "kid", kid })),
        ];
        if (!(await writeRules(deps, rules, proof.atMs)).ok) return undefined;
        await finish(deps, change, "ok", change.events, { compromised: compromised.join(" ") });
        return "done";
      }
      const replaced = keyring?.keys.some((k) => k.compromised && (k.retiredAt ?? 0) >= proof.atMs);
      if (replaced) {
        await notDone(deps, change, "a later emergency rotation replaced it");
        return "not-done";
      }
      const rerun = await emergency(
        deps,
        { actor: change.entry.actor, reason: change.entry.reason ?? "" },
        change.id,
      );
      return rerun.ok || rerun.code === "self_test_failed" ? "finished" : undefined;
    }
  }
}

async function finish(
  deps: OperationDeps,
  change: IntendedChange,
  result: AuditEntry["result"],
  events: readonly KeywardEvent[],
  details: Readonly<Record<string, string | number>> = {},
): Promise<void> {
  await deps.audit.append({
    ...change.entry,
    result,
    details: { ...change.entry.details, ...details, recovered: true },
  });
  if (events.length > 0) await deps.events.publish(events.map(redactEvent));
  await deps.audit.settle(change.id);
}

/** The change stopped before its write: journaled as failed, announced, nothing else. */
async function notDone(
  deps: OperationDeps,
  change: IntendedChange,
  why = "interrupted before its write; nothing was changed",
): Promise<void> {
  await finish(
    deps,
    change,
    "failed",
    [
      labelEvent(deps, {
        type: "RotationFailed",
        at: new Date(deps.clock.now()).toISOString(),
        detail: { reason: "interrupted", action: change.entry.action, detail: why },
      }),
    ],
    { code: "interrupted", detail: why },
  );
}

/** The ids of changes among the journal's last 500 entries (recent enough for any unsettled one). */
async function journaledChanges(deps: OperationDeps): Promise<Set<string>> {
  const page = await deps.audit.read({ limit: 500 });
  return new Set(
    page.entries.flatMap((e) => (typeof e.details?.change === "string" ? [e.details.change] : [])),
  );
}
