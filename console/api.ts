import type {
  AuditResponse,
  ImpactResponse,
  JournalResponse,
  KeysResponse,
  PlanResponse,
  UsageResponse,
  VerifiersResponse,
  WhoamiResponse,
} from "../functions/ops-api/wire.ts";
import type { KeyringName } from "../shared/keyring/names.ts";

/** One answer of the ops API: its status and its JSON body. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * How the console reaches the ops API with the operator's own credential: the CLI's `OpsClient`
 * (bearer, or SigV4 for a deployed stack), or the local stack's app in process. The page never
 * sees the credential.
 */
export interface OpsCaller {
  call(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiAnswer>;
}

/** The ops API refused or failed: its code and message, shown to the operator as text. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a 2xx answer, else an `ApiRefusal` with the API's own code and message. */
export async function read<T>(
  api: OpsCaller,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  let answer: ApiAnswer;
  try {
    answer = await api.call(method, path, body);
  } catch (error) {
    // The ops API did not answer (the CLI's client says where it tried, never a credential).
    throw new ApiRefusal(
      503,
      "unreachable",
      error instanceof Error ? error.message : "the ops API did not answer",
    );
  }
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  throw new ApiRefusal(
    answer.status,
    typeof error?.code === "string" ? error.code : `http_${answer.status}`,
    typeof error?.message === "string" ? error.message : `the ops API answered ${answer.status}`,
  );
}

/** A read that may be missing where the deployment keeps no such figures (404): undefined then. */
async function optional<T>(api: OpsCaller, path: string): Promise<T | undefined> {
  try {
    return await read<T>(api, "GET", path);
  } catch (error) {
    if (error instanceof ApiRefusal && error.status === 404) return undefined;
    throw error;
  }
}

/** Everything one keyring's page shows, read in parallel. */
export interface KeyringView {
  readonly name: KeyringName;
  readonly keys: KeysResponse;
  readonly plan: PlanResponse;
  readonly journal: JournalResponse;
  readonly usage: UsageResponse | undefined;
}

/** Where the console reads what it shows; each method one or a few ops API calls. */
export function consoleReads(api: OpsCaller) {
  const base = (name: KeyringName) => `/v1/keyrings/${name}`;
  return {
    whoami: () => read<WhoamiResponse>(api, "GET", "/v1/whoami"),
    /** undefined when the keyring does not exist yet (the sessions keyring before its import). */
    async keyring(name: KeyringName, sinceIso: string): Promise<KeyringView | undefined> {
      try {
        const [keys, plan, journal, usage] = await Promise.all([
          read<KeysResponse>(api, "GET", `${base(name)}/keys`),
          read<PlanResponse>(api, "GET", `${base(name)}/plan?days=365`),
          read<JournalResponse>(api, "GET", `${base(name)}/journal?since=${sinceIso}`),
          optional<UsageResponse>(api, `${base(name)}/usage`),
        ]);
        return { name, keys, plan, journal, usage };
      } catch (error) {
        if (error instanceof ApiRefusal && error.code === "no_keyring") return undefined;
        throw error;
      }
    },
    verifiers: () => optional<VerifiersResponse>(api, "/v1/verifiers"),
    impact: (name: KeyringName, kid: string) =>
      optional<ImpactResponse>(api, `${base(name)}/keys/${encodeURIComponent(kid)}/impact`),
    audit: (before?: number) =>
      read<AuditResponse>(
        api,
        "GET",
        `/v1/audit?limit=100${before === undefined ? "" : `&before=${before}`}`,
      ),
  };
}

export type ConsoleReads = ReturnType<typeof consoleReads>;
