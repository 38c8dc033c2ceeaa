import { type Clock, SECOND } from "../kernel/clock.ts";
import { laggardText } from "./propagation.ts";
import { NAMED_AT_MOST, type Receipt, verifies } from "./receipt.ts";
import type { ReceiptReader } from "./store.ts";

/** How long an emergency waits for the live verifiers to say they enforce its key rules. */
export const ENFORCEMENT_WAIT_MS = 5 * SECOND;
const POLL_MS = 250;

/** Who enforces a rule: of the live instances of a keyring, those whose mirror applied it. */
export interface Enforcement {
  readonly live: number;
  readonly enforced: number;
  /** The latest of their enforcement times, from the rule's log entry (Redis's clock). */
  readonly withinMs: number | undefined;
  /** The live instances that did not say so within the wait, in words. */
  readonly missing: readonly string[];
}

/** A stream id's parts ("ms-seq"); undefined when it is not one. */
function streamId(id: string): [number, number] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(id);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

/** How stream id `a` orders against `b`: negative before, 0 the same, positive after. */
function order(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Whether stream id `a` comes after `b` (false when either is not a stream id). */
export function laterStreamId(a: string, b: string): boolean {
  const x = streamId(a);
  const y = streamId(b);
  return x !== undefined && y !== undefined && order(x, y) > 0;
}

function atOrAfter(position: string, entry: [number, number]): boolean {
  const at = streamId(position);
  return at !== undefined && order(at, entry) >= 0;
}

/**
 * Waits (up to `ENFORCEMENT_WAIT_MS`, reading the receipts every 250 ms) until every instance of
 * `keyring` live when it began enforces the emergency: its mirror applied the log entry `logged`
 * (its position is at or past it), or it loaded the keyring at `revision` or later (which refuses
 * the compromised keys by itself). An instance without a mirror position decides by reading the
 * store on every request, so it enforces the rules at once. Instances report as soon as either
 * happens, at their next request; one that serves none in the wait (or cannot reach Upstash) is
 * named. Undefined when the entry's id is not a stream id (a store without a change log).
 */
export async function awaitEnforcement(
  receipts: ReceiptReader,
  keyring: string,
  emergency: { readonly logged: string; readonly revision: number },
  clock: Clock,
  waitMs = ENFORCEMENT_WAIT_MS,
): Promise<Enforcement | undefined> {
  const logged = emergency.logged;
  const entry = streamId(logged);
  if (entry === undefined) return undefined;
  const begun = clock.now();
  const ofKeyring = (all: readonly Receipt[]) =>
    all.filter((r) => r.keyring === keyring && verifies(r));
  // Each instance live when the wait began, as it said last.
  const live = new Map(ofKeyring(await receipts.live(begun)).map((r) => [r.instance, r]));
  const enforcedAt = new Map<string, number>();
  for (let read = live.values(); ; read = ofKeyring(await receipts.live(clock.now())).values()) {
    for (const receipt of read) {
      if (!live.has(receipt.instance) || enforcedAt.has(receipt.instance)) continue;
      live.set(receipt.instance, receipt);
      if (receipt.position === undefined) enforcedAt.set(receipt.instance, entry[0]);
      else if (atOrAfter(receipt.position, entry) || (receipt.revision ?? -1) >= emergency.revision)
        enforcedAt.set(receipt.instance, receipt.at);
    }
    const done = enforcedAt.size >= live.size;
    if (done || clock.sleep === undefined || clock.now() - begun >= waitMs) break;
    await clock.sleep(POLL_MS);
  }
  const times = [...enforcedAt.values()].map((at) => Math.max(0, at - entry[0]));
  return {
    live: live.size,
    enforced: enforcedAt.size,
    withinMs: times.length === 0 ? undefined : Math.max(...times),
    missing: [...live.values()].filter((r) => !enforcedAt.has(r.instance)).map(laggardText),
  };
}

/** "enforced by 37 of 37 live verifiers within 640 ms", and who was not, in the journal's words. */
export function enforcementText(enforcement: Enforcement): string {
  const within = enforcement.withinMs === undefined ? "" : ` within ${enforcement.withinMs} ms`;
  const missing =
    enforcement.missing.length === 0
      ? ""
      : `; not within ${ENFORCEMENT_WAIT_MS / SECOND} s: ${enforcement.missing.slice(0, NAMED_AT_MOST).join("; ")}`;
  return `enforced by ${enforcement.enforced} of ${enforcement.live} live verifiers${within}${missing}`;
}
