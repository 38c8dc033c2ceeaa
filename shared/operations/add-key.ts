import type { KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { TransitionResult } from "../keyring/transitions.ts";
import { commitChange, complete, journalRefusal } from "./change.ts";
import { newKeyOnce } from "./custody.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import type { Refused } from "./refusals.ts";

/** Where a newly generated key goes: the keyring it makes. */
export type Placement = (key: KeyRecord, now: number) => TransitionResult;

export interface AddedKey {
  readonly kid: string;
  readonly keyring: Keyring;
  /** When the change was intended (its journal entry's time); undefined when nothing was written. */
  readonly intendedAt: number | undefined;
}

/**
 * A change that adds one key, generated with the policy's algorithm: the first keyring
 * (`keys.init`) or a graceful rotation's pending key (`rotate.graceful`). `decide` looks at the
 * stored keyring before a key is made, so a refused change never journals or announces a kid that
 * was never created; otherwise it says where the new key goes. Journaled, announced as `KeyCreated`.
 */
export async function addGeneratedKey(
  deps: OperationDeps,
  request: Request,
  action: "keys.init" | "rotate.graceful",
  decide: (keyring: Keyring | undefined) => Refused | Placement,
): Promise<OperationResult<AddedKey>> {
  const alg = deps.policy.algorithm;
  const made = newKeyOnce(deps);
  let kid = "";
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      const placement = decide(keyring);
      if (typeof placement !== "function") return placement;
      const key = await made.make(now);
      kid = key.kid;
      return placement(key, now);
    },
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action,
        target: kid,
        reason: request.reason,
      },
      events: [
        {
          type: "KeyCreated",
          at: new Date(now).toISOString(),
          detail: { kid, alg, reason: request.reason, actor: request.actor },
        },
      ],
      proof: { kind: "key", kid, field: "createdAt", atMs: now },
    }),
  );
  if (!result.ok) {
    await made.abandon();
    await journalRefusal(deps, request, action, result.code);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid, keyring: result.keyring, intendedAt: intended?.intendedAt } };
}
