import { SECOND } from "../kernel/clock.ts";
import { UsageError } from "../kernel/errors.ts";
import {
  decodeLegacySecret,
  importLegacySecret,
  lifetimeOfSample,
  type SecretEncoding,
} from "../keyring/import-legacy.ts";
import { currentKid, type Keyring } from "../keyring/keyring.ts";
import { commitChange, complete, journalRefusal } from "./change.ts";
import { newKeyOnce } from "./custody.ts";
import { keyringKindOf, type OperationDeps, type OperationResult, type Request } from "./deps.ts";
import { refusal } from "./refusals.ts";

export interface ImportOutcome {
  readonly kid: string;
  readonly status: "current" | "previous";
  /** The secret is under 32 bytes: it verifies its tokens and never signs. */
  readonly verifyOnly: boolean;
  /** How long the legacy system's tokens (or sessions) live, as given or read from the sample. */
  readonly lifetimeSeconds: number;
  /** What the operator must know about the result (a verify-only key). */
  readonly warning?: string;
  readonly keyring: Keyring;
}

/** The legacy system's token (or session) lifetime: given, or read from one of its tokens. */
export type LegacyLifetime =
  | { readonly tokenLifetimeSeconds: number; readonly sampleToken?: undefined }
  | { readonly sampleToken: string; readonly tokenLifetimeSeconds?: undefined }
  /** Sessions keyring only: the maximum session lifetime. */
  | { readonly tokenLifetimeSeconds?: undefined; readonly sampleToken?: undefined };

const VERIFY_ONLY_WARNING =
  "the secret is under 32 bytes, too weak to sign with: it verifies the legacy system's tokens and never signs; a generated key signs every new token, so the login service must sign through keyward from now on. The legacy key retires once its tokens are no longer seen.";

/**
 * Migration (DESIGN.md, "Migration"): an existing secret becomes the current key, or, when it is
 * too short to sign with, a verify-only previous key beside a generated current one. The legacy
 * system's token lifetime must fit the maximum token lifetime: longer-lived tokens would be
 * refused (`lifetime_exceeded`), and revocation cut-offs would lapse before them. On the sessions
 * keyring the secret is a `SESSION_ENCRYPTION_KEY` (exactly 32 bytes) and the lifetime is the
 * legacy sessions': it must fit the maximum session lifetime, or the key could retire under them.
 */
export async function importSecret(
  deps: OperationDeps,
  request: Request & {
    readonly secret: string;
    readonly encoding: SecretEncoding;
  } & LegacyLifetime,
): Promise<OperationResult<ImportOutcome>> {
  const maxSeconds = deps.policy.maxTokenLifetimeMs / SECOND;
  const sessions = keyringKindOf(deps).protects === "sessions";
  let lifetimeSeconds: number;
  if (request.sampleToken !== undefined) {
    const read = await lifetimeOfSample(request.secret, request.encoding, request.sampleToken);
    if (!read.ok) {
      await journalRefusal(deps, request, "keys.import", "sample_invalid");
      return refusal("sample_invalid", read.message);
    }
    lifetimeSeconds = read.seconds;
  } else if (request.tokenLifetimeSeconds !== undefined)
    lifetimeSeconds = request.tokenLifetimeSeconds;
  else if (sessions) lifetimeSeconds = maxSeconds;
  else throw new UsageError("importing a signing secret needs its tokens' lifetime or a sample");
  if (lifetimeSeconds > maxSeconds) {
    await journalRefusal(deps, request, "keys.import", "lifetime_too_long");
    return refusal(
      "lifetime_too_long",
      sessions
        ? `the legacy system's sessions live ${lifetimeSeconds} s, longer than the maximum session lifetime (${maxSeconds} s): set KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS to at least ${lifetimeSeconds} first, or the key could retire while sessions sealed with it are alive`
        : `the legacy system's tokens live ${lifetimeSeconds} s, longer than the maximum token lifetime (${maxSeconds} s): set KEYWARD_MAX_TOKEN_LIFETIME_SECONDS to at least ${lifetimeSeconds} on every function first, or its tokens would be refused`,
    );
  }
  let replaced = "";
  let kid = "";
  const made = newKeyOnce(deps);
  const decoded = decodeLegacySecret(request.secret, request.encoding);
  const { result, intended } = await commitChange(
    deps,
    async (keyring, now) => {
      replaced = keyring === undefined ? "" : currentKid(keyring);
      // A secret too short to sign with needs a key that signs, unless a keyring has one.
      const needsSigner = !sessions && decoded.ok && decoded.verifyOnly && keyring === undefined;
      return importLegacySecret(
        keyring,
        request.secret,
        request.encoding,
        now,
        deps.random,
        needsSigner ? await made.make(now) : undefined,
        sessions ? "A256GCM" : "HS256",
      );
    },
    (keyring, now) => {
      kid = importedKid(keyring, now);
      const at = new Date(now).toISOString();
      const verifyOnly = keyring.keys.some((k) => k.kid === kid && k.verifyOnly);
      return {
        entry: {
          at,
          actor: request.actor,
          action: "keys.import",
          target: kid,
          reason: request.reason,
          details: {
            ...(replaced === "" || verifyOnly ? {} : { replaces: replaced }),
            ...(verifyOnly ? { verifyOnly: true } : {}),
            [sessions ? "sessionLifetimeSeconds" : "tokenLifetimeSeconds"]: lifetimeSeconds,
          },
        },
        events: [
          {
            type: "KeyImported",
            at,
            detail: {
              kid,
              encoding: request.encoding,
              verifyOnly,
              reason: request.reason,
              actor: request.actor,
            },
          },
        ],
        proof: { kind: "key", kid, field: "createdAt", atMs: now },
      };
    },
  );
  if (!result.ok) {
    await made.abandon();
    await journalRefusal(deps, request, "keys.import", result.code);
    return result;
  }
  if (intended !== undefined) await complete(deps, intended);
  const key = result.keyring.keys.find((k) => k.kid === kid);
  return {
    ok: true,
    value: {
      kid,
      status: key?.status === "previous" ? "previous" : "current",
      verifyOnly: key?.verifyOnly === true,
      lifetimeSeconds,
      ...(key?.verifyOnly === true ? { warning: VERIFY_ONLY_WARNING } : {}),
      keyring: result.keyring,
    },
  };
}

/** The legacy key an import created at `now`. */
function importedKid(keyring: Keyring, now: number): string {
  return keyring.keys.find((k) => k.legacy && k.createdAt === now)?.kid ?? "";
}
