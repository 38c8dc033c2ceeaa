import { currentKid, type Keyring } from "../keyring/keyring.ts";
import { applyAction, planTransitions } from "../keyring/plan.ts";
import { prePublicationMs } from "../keyring/policy.ts";
import { restorePrevious } from "../keyring-store/store.ts";
import {
  type EvidenceSources,
  firstSigning,
  type Reach,
  reachOf,
  readEvidence,
} from "../receipts/propagation.ts";
import { NAMED_AT_MOST } from "../receipts/receipt.ts";
import { commitChange, complete, journalRefusal, noKeyring } from "./change.ts";
import { custodyOf, type OperationDeps, type OperationResult, type Request } from "./deps.ts";
import { refusal } from "./refusals.ts";
import { activationSelfTest } from "./self-test.ts";

export interface ForcedActivation {
  readonly kid: string;
  /** What the key does now: signs for everyone, or (rolling) for its first cohort. */
  readonly step: "activate" | "rollout";
  /** The live verifiers that had not said they hold the key. */
  readonly laggards: readonly string[];
  readonly keyring: Keyring;
}

/**
 * An operator's way past a first signing that waits for evidence (`PropagationIncomplete`): the
 * pending key signs now (becomes current, or starts a rolling rotation's first cohort) although
 * some live verifier has not said it holds it; those verifiers load it at their next keyring
 * refresh, or on the first token naming it. Never before the pre-publication period is over:
 * until then no verifier can be expected to hold the key. Journaled as `activate.forced` with the
 * laggards it went ahead without; an activation is self-tested, and rolled back on failure, as a
 * scheduled one is.
 */
export async function forceActivation(
  deps: OperationDeps & EvidenceSources,
  request: Request & { readonly kid: string },
): Promise<OperationResult<ForcedActivation>> {
  const { kid } = request;
  const evidence = await readEvidence(deps, deps.clock.now());
  let holding: Reach = { live: 0, held: 0, laggards: [] };
  let before: Keyring | undefined;
  let step: ForcedActivation["step"] = "activate";
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      if (keyring === undefined) return noKeyring();
      before = keyring;
      const key = keyring.keys.find((k) => k.kid === kid);
      if (key === undefined) return refusal("key_not_found", `key ${kid} does not exist`);
      if (key.status !== "pending")
        return refusal("activation_not_due", `key ${kid} is ${key.status}, not pending`);
      if (evidence?.readable === true) holding = reachOf(evidence, deps.keyringName, key);
      const first = firstSigning(keyring, planTransitions(keyring, now, undefined, deps.policy));
      if (first === undefined || first.kid !== kid) {
        const dueAt = new Date(key.createdAt + prePublicationMs(deps.policy)).toISOString();
        return refusal(
          "activation_not_due",
          keyring.rollout?.kid === kid
            ? `key ${kid} signs already (rolling rotation at ${keyring.rollout.percent} %)`
            : `key ${kid} may sign from ${dueAt}: verifiers are not expected to hold it before`,
        );
      }
      step = first.type;
      return applyAction(keyring, first, now, deps.policy, custodyOf(deps).create);
    },
    (keyring, now) => {
      const at = new Date(now).toISOString();
      const details = {
        step: step === "activate" ? "activate" : `rollout ${keyring.rollout?.percent ?? 0} %`,
        replaces: before === undefined ? "" : currentKid(before),
        live: holding.live,
        held: holding.held,
        evidence: evidence === undefined ? "none" : evidence.readable ? "read" : "unreadable",
        ...(holding.laggards.length === 0
          ? {}
          : { laggards: holding.laggards.slice(0, NAMED_AT_MOST).join("; ") }),
      };
      return {
        entry: {
          at,
          actor: request.actor,
          action: "activate.forced",
          target: kid,
          reason: request.reason,
          details,
        },
        events:
          step === "activate"
            ? [
                {
                  type: "KeyActivated" as const,
                  at,
                  detail: { kid, reason: request.reason, actor: request.actor, forced: true },
                },
              ]
            : [],
        proof:
          step === "activate"
            ? { kind: "key", kid, field: "activatedAt", atMs: now }
            : { kind: "rollout", kid, atMs: now },
      };
    },
  );
  if (!result.ok) {
    await journalRefusal(deps, request, "activate.forced", result.code, kid);
    return result;
  }
  if (intended !== undefined) {
    const failure =
      step === "activate" && before !== undefined
        ? await activationSelfTest(deps, before, result.keyring, deps.clock.now())
        : undefined;
    if (failure !== undefined) {
      await restorePrevious(deps.keyrings, deps.clock.now());
      await complete(deps, intended, {
        entry: {
          ...intended.entry,
          result: "failed",
          details: { ...intended.entry.details, selfTest: "failed", detail: failure },
        },
        events: [
          {
            type: "RotationFailed",
            at: intended.entry.at,
            detail: { reason: "self_test_failed", detail: failure, kid },
          },
        ],
      });
      return refusal("self_test_failed", `${failure}; the activation was rolled back`);
    }
    await complete(deps, intended);
  }
  return { ok: true, value: { kid, step, laggards: holding.laggards, keyring: result.keyring } };
}
