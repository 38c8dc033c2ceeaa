import { generateKey } from "../keyring/generate.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { prePublicationMs } from "../keyring/policy.ts";
import { publishKey } from "../keyring/transitions.ts";
import { commitChange, complete, journalRefusal, noKeyring } from "./change.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import { emergency } from "./emergency.ts";
import { refusal } from "./refusals.ts";

export interface RotationOutcome {
  readonly mode: "graceful" | "immediate";
  readonly kid: string;
  /** When the new key signs: now for an emergency, after pre-publication for a graceful rotation. */
  readonly activatesAt: string;
  readonly keyring: Keyring;
}

/**
 * graceful: a new key is published as pending; the scheduler activates it once every cached
 * verifier knows it. immediate: see `emergency`.
 */
export async function rotate(
  deps: OperationDeps,
  request: Request & { readonly mode: "graceful" | "immediate" },
): Promise<OperationResult<RotationOutcome>> {
  if (request.mode === "immediate") return emergency(deps, request);
  const alg = deps.policy.algorithm;
  let kid = "";
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      const pending = keyring.keys.find((k) => k.status === "pending");
      // Refused before a key is made, so the journal never names a kid that was never created.
      if (pending !== undefined)
        return refusal("rotation_in_progress", `key ${pending.kid} is already pending activation`);
      const key = await generateKey(alg, now, deps.random);
      kid = key.kid;
      return publishKey(keyring, key, now);
    },
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action: "rotate.graceful",
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
    await journalRefusal(deps, request, "rotate.graceful", result.code);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  const activatesAt = intended?.intendedAt ?? deps.clock.now();
  return {
    ok: true,
    value: {
      mode: "graceful",
      kid,
      activatesAt: new Date(activatesAt + prePublicationMs(deps.policy)).toISOString(),
      keyring: result.keyring,
    },
  };
}
