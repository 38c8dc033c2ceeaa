import { MemoryAuditJournal } from "../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../shared/events/events.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import type { KeyringName } from "../../shared/keyring/names.ts";
import { type RotationPolicy, resolvePolicy } from "../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../shared/keyring-store/memory.ts";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { MemoryRevocationStore } from "../../shared/revocation/memory.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";
import { seededRandom, T0 } from "./deterministic.ts";

/**
 * An operation's stores, all in memory, on a clock the test moves (`clock.t`), with `keyring`
 * stored first when given.
 */
export async function memoryOperations(
  options: {
    readonly keyring?: Keyring;
    readonly keyringName?: KeyringName;
    readonly policy?: Partial<RotationPolicy>;
    /** Fault injection: the stores the operation sees instead of the real memory ones. */
    readonly keyrings?: (real: MemoryKeyringStore) => KeyringStore;
    readonly revocations?: (real: MemoryRevocationStore) => RevocationStore;
  } = {},
) {
  const clock = { t: T0, now: () => clock.t };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const keyrings = new MemoryKeyringStore();
  if (options.keyring !== undefined) await keyrings.save(options.keyring);
  const revocations = new MemoryRevocationStore(timing, clock);
  const audit = new MemoryAuditJournal();
  const events = new MemoryEventPublisher();
  const deps: OperationDeps = {
    keyringName: options.keyringName ?? "signing",
    keyrings: options.keyrings?.(keyrings) ?? keyrings,
    revocations: options.revocations?.(revocations) ?? revocations,
    audit,
    events,
    clock,
    random: seededRandom("operations"),
    policy: resolvePolicy(options.policy),
    timing,
  };
  return { deps, clock, keyrings, revocations, audit, events };
}

/** The journal's entries, oldest first, as `action result` lines. */
export async function journalLines(audit: MemoryAuditJournal): Promise<string[]> {
  const { entries } = await audit.read();
  return entries
    .map(
      (entry) =>
        `${entry.action} ${entry.result}${entry.details?.code ? ` ${entry.details.code}` : ""}`,
    )
    .reverse();
}
