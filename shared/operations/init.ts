import type { Keyring } from "../keyring/keyring.ts";
import { createKeyring } from "../keyring/transitions.ts";
import { addGeneratedKey } from "./add-key.ts";
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
  const added = await addGeneratedKey(deps, request, "keys.init", (keyring) =>
    keyring !== undefined
      ? refusal(
          "keyring_exists",
          `the ${deps.keyringName} keyring exists already (revision ${keyring.revision}): rotate it instead`,
        )
      : (key, now) => ({ ok: true, keyring: createKeyring(key, now) }),
  );
  if (!added.ok) return added;
  return { ok: true, value: { kid: added.value.kid, keyring: added.value.keyring } };
}
