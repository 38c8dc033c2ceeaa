import { type HttpAnswer, type HttpTransport, platformTransport } from "../http/transport.ts";
import { KeywardError } from "../kernel/errors.ts";
import type { UpstashSettings } from "./settings.ts";

/** An Upstash REST call failed: no answer in time, an HTTP error, or the command's own error. */
export class UpstashRequestFailed extends KeywardError {
  override readonly code = "upstash_request_failed";
}

export type UpstashArgument = string | number;

/**
 * Upstash's REST protocol, over an `HttpTransport`, for a verifier's hot path: a revocation
 * check (`MGET`), a usage flush (a pipeline). The writers use `@upstash/redis` (`client.ts`); a
 * verifier needs two calls, and that client is most of an edge bundle (78 of 158 kB, measured).
 * Same rules as the client: one attempt, a time limit per request (the caller owns the budget),
 * results as the raw values (keyward's are ASCII). Messages never hold a key or value.
 */
export class UpstashRest {
  readonly #url: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #send: HttpTransport;

  constructor(settings: UpstashSettings, timeoutMs: number) {
    this.#url = settings.url.replace(/\/+$/, "");
    this.#authorization = `Bearer ${settings.token}`;
    this.#timeoutMs = timeoutMs;
    this.#send = settings.transport ?? platformTransport();
  }

  /** One command (`POST /` with the command as a JSON array); its result, or a throw. */
  async command<T = unknown>(args: readonly UpstashArgument[]): Promise<T> {
    const answer = (await this.#post("", args)) as { result?: unknown; error?: unknown };
    if (typeof answer?.error === "string")
      throw new UpstashRequestFailed(`${String(args[0])} failed: ${errorKind(answer.error)}`);
    return answer?.result as T;
  }

  /** Several commands in one request (`POST /pipeline`); a throw when any of them failed. */
  async pipeline(commands: readonly (readonly UpstashArgument[])[]): Promise<unknown[]> {
    const answers = (await this.#post("/pipeline", commands)) as unknown;
    if (!Array.isArray(answers) || answers.length !== commands.length)
      throw new UpstashRequestFailed("pipeline answered with something other than one result each");
    return answers.map((answer: { result?: unknown; error?: unknown }, i) => {
      if (typeof answer?.error === "string")
        throw new UpstashRequestFailed(
          `${String(commands[i]?.[0])} failed: ${errorKind(answer.error)}`,
        );
      return answer?.result;
    });
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    let answer: HttpAnswer;
    try {
      answer = await this.#send({
        url: `${this.#url}${path}`,
        method: "POST",
        headers: { authorization: this.#authorization, "content-type": "application/json" },
        body: JSON.stringify(body),
        timeoutMs: this.#timeoutMs,
      });
    } catch (error) {
      throw new UpstashRequestFailed(`request failed: ${(error as Error).name}`, { cause: error });
    }
    const { status } = answer;
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      throw new UpstashRequestFailed(`answered ${status} without JSON`);
    }
    const ok = status >= 200 && status <= 299;
    // 4xx answers carry {"error": "..."} (a bad command, a refused token): reported as such.
    if (!ok && typeof (parsed as { error?: unknown })?.error !== "string")
      throw new UpstashRequestFailed(`answered ${status}`);
    if (!ok)
      throw new UpstashRequestFailed(
        `answered ${status}: ${errorKind((parsed as { error: string }).error)}`,
      );
    return parsed;
  }
}

/** The first word of a Redis error ("ERR", "WRONGTYPE", "NOSCRIPT"…): the rest may quote arguments. */
function errorKind(error: string): string {
  return /^[A-Z]+/.exec(error)?.[0] ?? "error";
}
