import type { AuditJournal, StoredAuditEntry } from "../audit/journal.ts";
import type { KeyringName } from "../keyring/names.ts";
import type { UsageStore } from "../usage/counts.ts";
import { keyringOfEntry } from "./deps.ts";

/** What started a rotation. */
export type RotationTrigger = "scheduled" | "manual" | "emergency" | "rollback" | "import";

export interface RotationPhase {
  readonly phase: string;
  /** ISO 8601. */
  readonly at: string;
}

/**
 * One rotation as the runbook's journal entry asks for it: trigger, old and new key, when each
 * phase happened, the self-test, and how many verifications it refused.
 */
export interface RotationRecord {
  readonly trigger: RotationTrigger;
  /** The operator, or "rotation" for the scheduler. */
  readonly actor: string;
  readonly reason: string;
  readonly newKid: string;
  /** The key that was current before; absent for the first key of a keyring. */
  readonly oldKid?: string;
  /** Emergency: every key it retired as compromised (the old key among them). */
  readonly compromised: readonly string[];
  readonly activatedAt: string;
  readonly phases: readonly RotationPhase[];
  readonly selfTest: "passed" | "failed" | "not run";
  /** A failed self-test put the keyring back as it was. */
  readonly rolledBack: boolean;
  /**
   * Unexpired tokens refused because this rotation retired their key (its old key, or the keys
   * an emergency compromised); null when the figures could not be read.
   */
  readonly refusedVerifications: number | null;
}

export interface JournalSources {
  readonly audit: AuditJournal;
  readonly usage?: Pick<UsageStore, "refusalsByKid">;
}

/**
 * The rotations activated at or after `sinceMs`, oldest first, assembled from the audit journal
 * (which records every activation with the key it replaced and its self-test) and the refusal
 * figures per key. Refusals of a key count for the latest rotation that took it out of use.
 * One keyring's rotations: each entry names its keyring (`labelEntry`).
 */
export async function rotationJournal(
  sources: JournalSources,
  sinceMs: number,
  keyring: KeyringName = "signing",
): Promise<RotationRecord[]> {
  const entries = (await readAll(sources.audit)).filter(
    (entry) => keyringOfEntry(entry) === keyring,
  );
  const refusals = await refusalsOrNull(sources.usage);
  const drafts: Draft[] = [];
  // Phases that happen while a key is pending, kept until it is activated.
  const earlyPhases = new Map<string, RotationPhase[]>();
  const publishers = new Map<string, StoredAuditEntry>();
  // Which rotation took each key out of use (its refusals are that rotation's).
  const outOfUseBy = new Map<string, Draft>();

  for (const entry of entries) {
    const { action, target } = entry;
    if (target === undefined) continue;
    const early = earlyPhases.get(target) ?? [];
    if (entry.result === "ok" && (action === "policy.publish" || action === "rotate.graceful")) {
      publishers.set(target, entry);
      earlyPhases.set(target, [{ phase: "published", at: entry.at }]);
      continue;
    }
    if (entry.result === "ok" && action === "policy.rollout") {
      early.push({
        phase: `signs for ${entry.details?.percent ?? "?"} % of subjects`,
        at: entry.at,
      });
      earlyPhases.set(target, early);
      continue;
    }
    const draft = activationOf(entry, publishers.get(target), early);
    if (draft !== undefined) {
      drafts.push(draft);
      if (!draft.rolledBack) for (const kid of draft.compromised) outOfUseBy.set(kid, draft);
      continue;
    }
    const owner = drafts.findLast((d) => d.oldKid === target && !d.rolledBack);
    if (entry.result !== "ok" || owner === undefined) continue;
    if (action === "policy.retire") {
      owner.phases.push({ phase: `${target} retired`, at: entry.at });
      outOfUseBy.set(target, owner);
    } else if (action === "policy.destroy") {
      owner.phases.push({ phase: `${target} destroyed`, at: entry.at });
    } else if (action === "kms.schedule-deletion") {
      // KMS cannot destroy at once: the day its material is gone is a phase of its own.
      const gone = String(entry.details?.materialGoneAt ?? "").slice(0, 10);
      owner.phases.push({ phase: `${target}'s KMS key deleted by ${gone}`, at: entry.at });
    } else if (action === "reinstate") {
      owner.phases.push({ phase: `${target} reinstated`, at: entry.at });
      outOfUseBy.delete(target);
    }
  }

  return drafts
    .filter((draft) => Date.parse(draft.activatedAt) >= sinceMs)
    .map((draft) => {
      const owned = [...outOfUseBy].filter(([, owner]) => owner === draft).map(([kid]) => kid);
      return {
        ...draft,
        refusedVerifications:
          refusals === null ? null : owned.reduce((sum, kid) => sum + (refusals[kid] ?? 0), 0),
      };
    });
}

interface Draft extends Omit<RotationRecord, "refusedVerifications" | "phases"> {
  /** In time order: later phases are appended as the audit entries are read. */
  readonly phases: RotationPhase[];
}

/** The rotation an audit entry records, if it records one (an activation, succeeded or rolled back). */
function activationOf(
  entry: StoredAuditEntry,
  published: StoredAuditEntry | undefined,
  earlyPhases: readonly RotationPhase[],
): Draft | undefined {
  const kid = entry.target ?? "";
  const replaces = String(entry.details?.replaces ?? "");
  const old = replaces === "" ? {} : { oldKid: replaces };
  const base = { actor: entry.actor, newKid: kid, activatedAt: entry.at, ...old };
  const selfTest = entry.details?.selfTest === "failed" ? "failed" : "passed";
  switch (entry.action) {
    case "policy.activate":
    case "tick": {
      if (entry.action === "tick" && entry.reason !== "self_test_failed") return undefined;
      const manual = published !== undefined && published.actor !== "rotation";
      return {
        ...base,
        trigger: manual ? "manual" : "scheduled",
        ...(manual ? { actor: published.actor } : {}),
        reason: (manual ? published.reason : entry.reason) ?? "",
        compromised: [],
        phases: [
          ...earlyPhases,
          activationPhase(kid, replaces, entry.at),
          ...(entry.action === "tick"
            ? [{ phase: "self-test failed: keyring put back as it was", at: entry.at }]
            : []),
        ],
        selfTest,
        rolledBack: entry.action === "tick",
      };
    }
    case "rotate.immediate": {
      if (entry.result !== "ok") return undefined;
      const compromised = String(entry.details?.compromised ?? "")
        .split(" ")
        .filter((k) => k !== "");
      return {
        ...base,
        trigger: "emergency",
        reason: entry.reason ?? "",
        compromised,
        phases: [
          activationPhase(kid, "", entry.at),
          { phase: `retired as compromised: ${compromised.join(", ") || "none"}`, at: entry.at },
          { phase: "global revocation cut-off set", at: entry.at },
        ],
        selfTest: entry.details?.selfTest === undefined ? "not run" : selfTest,
        rolledBack: false,
      };
    }
    case "rollback":
    case "keys.import":
      // A verify-only import adds a previous key: nothing is activated.
      if (entry.result !== "ok" || entry.details?.verifyOnly === true) return undefined;
      return {
        ...base,
        trigger: entry.action === "rollback" ? "rollback" : "import",
        reason: entry.reason ?? "",
        compromised: [],
        phases: [activationPhase(kid, replaces, entry.at)],
        selfTest: "not run",
        rolledBack: false,
      };
    default:
      return undefined;
  }
}

function activationPhase(kid: string, replaces: string, at: string): RotationPhase {
  return { phase: `${kid} current${replaces === "" ? "" : `, ${replaces} previous`}`, at };
}

/** Every entry the journal still holds, oldest first (it is capped, so this is bounded). */
async function readAll(audit: AuditJournal): Promise<StoredAuditEntry[]> {
  const entries: StoredAuditEntry[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await audit.read({ limit: 500, ...(before === undefined ? {} : { before }) });
    entries.push(...page.entries);
    if (page.next === undefined) return entries.reverse();
    before = page.next;
  }
}

async function refusalsOrNull(
  usage: JournalSources["usage"],
): Promise<Readonly<Record<string, number>> | null> {
  if (usage === undefined) return null;
  try {
    return await usage.refusalsByKid();
  } catch {
    return null;
  }
}
