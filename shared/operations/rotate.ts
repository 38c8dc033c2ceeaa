import type { Keyring } from "../keyring/keyring.ts";
import { prePublicationMs } from "../keyring/policy.ts";
import { publishKey } from "../keyring/transitions.ts";
import type { ReceiptReader } from "../receipts/store.ts";
import { addGeneratedKey } from "./add-key.ts";
import { noKeyring } from "./change.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";
import { emergency } from "./emergency.ts";
import { refusal } from "./refusals.ts";

export interface RotationOutcome {
  readonly mode: "graceful" | "immediate";
  readonly kid: string;
  /** When the new key signs: now for an emergency, after pre-publication for a graceful rotation. */
  readonly activatesAt: string;
  /**
   * An emergency's reach, where the verifiers' receipts are kept: "enforced by 37 of 37 live
   * verifiers within 640 ms", or who did not say so within 5 s.
   */
  readonly enforcement?: string;
  readonly keyring: Keyring;
}

/**
 * graceful: a new key is published as pending; the scheduler activates it once every cached
 * verifier knows it. immediate: see `emergency`.
 */
export async function rotate(
  deps: OperationDeps & { readonly receipts?: ReceiptReader },
  request: Request & { readonly mode: "graceful" | "immediate" },
): Promise<OperationResult<RotationOutcome>> {
  if (request.mode === "immediate") return emergency(deps, request);
  const added = await addGeneratedKey(deps, request, "rotate.graceful", (keyring) => {
    if (keyring === undefined) return noKeyring();
    const pending = keyring.keys.find((k) => k.status === "pending");
    if (pending !== undefined)
      return refusal("rotation_in_progress", `key ${pending.kid} is already pending activation`);
    return (key, now) => publishKey(keyring, key, now);
  });
  if (!added.ok) return added;
  const { kid, keyring, intendedAt } = added.value;
  const activatesAt = intendedAt ?? deps.clock.now();
  return {
    ok: true,
    value: {
      mode: "graceful",
      kid,
      activatesAt: new Date(activatesAt + prePublicationMs(deps.policy)).toISOString(),
      keyring,
    },
  };
}
