import { generateKey } from "../keyring/generate.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { createKeyring } from "../keyring/transitions.ts";
import { commitChange, complete, journalRefusal } from "./change.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import { refusal } from "./refusals.ts";

export interface InitOutcome {
  readonly kid: string;
  readonly keyring: Keyring;
}

/**
 * A new keyring whose one key, generated with the policy's algorithm, is current at once: the
 * start of a system with no secret to migrate (`keyward init`). Refused when the keyring exists:
 * a second key would only be a rotation, and an existing one is never replaced this way.
 */
export async function initKeyring(
  deps: OperationDeps,
  request: Request,
): Promise<OperationResult<InitOutcome>> {
  const alg = deps.policy.algorithm;
  let kid = "";
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      if (keyring !== undefined)
        return refusal(
          "keyring_exists",
          `the ${deps.keyringName} keyring exists already (revision ${keyring.revision}): rotate it instead`,
        );
      const key = await generateKey(alg, now, deps.random);
      kid = key.kid;
      return { ok: true, keyring: createKeyring(key, now) };
    },
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action: "keys.init",
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
    await journalRefusal(deps, request, "keys.init", result.code);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid, keyring: result.keyring } };
}
