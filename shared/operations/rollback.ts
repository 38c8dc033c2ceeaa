import { currentKid, type Keyring } from "../keyring/keyring.ts";
import { reinstateKey, rollback } from "../keyring/transitions.ts";
import { commitChange, complete, journalRefusal, noKeyring } from "./change.ts";
import type { OperationDeps, OperationResult, Request } from "./deps.ts";

/** Swaps current and the most recent previous key (never a compromised one). */
export async function rollbackKeys(
  deps: OperationDeps,
  request: Request,
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  let replaced = "";
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      replaced = currentKid(keyring);
      return rollback(keyring, now);
    },
    (keyring, now) => {
      const kid = currentKid(keyring);
      const at = new Date(now).toISOString();
      return {
        entry: {
          at,
          actor: request.actor,
          action: "rollback",
          target: kid,
          reason: request.reason,
          details: { replaces: replaced },
        },
        events: [
          {
            type: "KeyRolledBack",
            at,
            detail: { kid, replaces: replaced, reason: request.reason, actor: request.actor },
          },
        ],
        proof: { kind: "key", kid, field: "activatedAt", atMs: now },
      };
    },
  );
  if (!result.ok) {
    await journalRefusal(deps, request, "rollback", result.code);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid: currentKid(result.keyring), keyring: result.keyring } };
}

/**
 * A retired key verifies again, as `previous` (DESIGN.md: retired is reversible until destroyed;
 * never for a compromised key). Roll back afterwards to make it sign again.
 */
export async function reinstate(
  deps: OperationDeps,
  request: Request & { readonly kid: string },
): Promise<OperationResult<{ kid: string; keyring: Keyring }>> {
  const { kid } = request;
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => (keyring === undefined ? noKeyring() : reinstateKey(keyring, kid, now)),
    (_, now) => ({
      entry: {
        at: new Date(now).toISOString(),
        actor: request.actor,
        action: "reinstate",
        target: kid,
        reason: request.reason,
      },
      events: [
        {
          type: "KeyReinstated",
          at: new Date(now).toISOString(),
          detail: { kid, reason: request.reason, actor: request.actor },
        },
      ],
      proof: { kind: "key", kid, field: "deactivatedAt", atMs: now },
    }),
  );
  if (!result.ok) {
    await journalRefusal(deps, request, "reinstate", result.code, kid);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  return { ok: true, value: { kid, keyring: result.keyring } };
}
