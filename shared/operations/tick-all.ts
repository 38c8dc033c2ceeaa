import type { KeyringName } from "../keyring/names.ts";
import { type TickDeps, type TickOutcome, tick } from "./tick.ts";

/** The keyring whose previous key past its minimum grace carries the largest share, if any. */
export interface LingeringOnKeyring {
  readonly keyring: KeyringName;
  readonly kid: string;
  readonly share: number;
}

export interface TickAllOutcome {
  readonly outcomes: Readonly<Partial<Record<KeyringName, TickOutcome>>>;
  readonly lingering?: LingeringOnKeyring;
}

/**
 * One scheduled run over every keyring, in order (signing, then sessions: the same tick on each),
 * as the rotation function and the local stack's scheduler do it; `each` hears every keyring's
 * outcome as it comes (a log line).
 */
export async function tickAll(
  keyrings: readonly TickDeps[],
  now: number,
  each: (keyring: KeyringName, outcome: TickOutcome) => void = () => {},
): Promise<TickAllOutcome> {
  const outcomes: Partial<Record<KeyringName, TickOutcome>> = {};
  let lingering: LingeringOnKeyring | undefined;
  for (const deps of keyrings) {
    const outcome = await tick(deps, now);
    outcomes[deps.keyringName] = outcome;
    each(deps.keyringName, outcome);
    const found = "lingering" in outcome ? outcome.lingering : undefined;
    if (found !== undefined && (lingering === undefined || found.share > lingering.share))
      lingering = { keyring: deps.keyringName, kid: found.kid, share: found.share };
  }
  return { outcomes, ...(lingering === undefined ? {} : { lingering }) };
}
