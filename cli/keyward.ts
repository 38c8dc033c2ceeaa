#!/usr/bin/env node
/**
 * `keyward`: the ops API for people. Human output by default, `--json` for scripts; exit codes in
 * client.ts (EXIT). Commands that log people out or change the signing key ask for confirmation
 * unless `--yes`, and refuse without it when there is no terminal to ask on.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { sha256, toHex } from "../shared/access/operators.ts";
import { EnvReader } from "../shared/config/env.ts";
import { readRotationPolicy } from "../shared/config/writer-config.ts";
import { DAY } from "../shared/kernel/clock.ts";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import { cryptoRandom } from "../shared/kernel/random.ts";
import { isKeyringName, KEYRING_NAMES, type KeyringName } from "../shared/keyring/names.ts";
import type { RotationRecord } from "../shared/operations/journal.ts";
import { sessionKeyFromEnv } from "../shared/sealing/import.ts";
import { simulateSessions } from "../shared/simulation/sessions.ts";
import { simulate } from "../shared/simulation/simulate.ts";
import {
  calendarDate,
  type Flags,
  type Invocation,
  parseInvocation,
  suggestion,
  wholeNumber,
} from "./arguments.ts";
import { readBatchFile } from "./batch-file.ts";
import { CliError, EXIT, EXIT_NAMES, OpsClient } from "./client.ts";
import { COMMANDS, commandHelp, usage } from "./commands.ts";
import { journalMarkdown } from "./journal-markdown.ts";
import {
  sessionSimulationHolds,
  sessionSimulationText,
  simulationHolds,
  simulationText,
} from "./simulation-report.ts";
import { oneLine, terminalSafe } from "./terminal-text.ts";
import { VERSION } from "./version.ts";

const BATCH_CHUNK = 1000;

async function main(values: Flags, invocation: Invocation): Promise<number> {
  const { command, positionals: rest } = invocation;
  if (values.version) {
    console.log(values.json ? JSON.stringify({ version: VERSION }) : `keyward ${VERSION}`);
    return EXIT.ok;
  }
  if (command === "help" || values.help || command === undefined) {
    const topic = command === "help" ? rest[0] : command;
    if (topic !== undefined && COMMANDS[topic] === undefined) {
      const hint = suggestion(topic, Object.keys(COMMANDS));
      throw new CliError(
        EXIT.usage,
        `unknown command "${topic}"${hint ? `: did you mean "${hint}"?` : ""}`,
      );
    }
    if (command === undefined && !values.help) {
      console.error(usage());
      return EXIT.usage;
    }
    console.log(topic === undefined ? usage() : commandHelp(topic));
    return EXIT.ok;
  }
  const out = (human: string, json: unknown) =>
    console.log(values.json ? JSON.stringify(json, null, 2) : terminalSafe(human));
  const client = () => OpsClient.fromEnvironment(values);
  const keyring = keyringOf(values);
  const base = `/v1/keyrings/${keyring}`;
  const sessions = keyring === "sessions";
  const reason = () => {
    if (values.reason === undefined || values.reason.trim() === "")
      throw new CliError(EXIT.usage, "--reason is required: it goes into the audit journal");
    return values.reason;
  };

  switch (command) {
    case "status": {
      const { body } = await client().expect("GET", `${base}/keys`);
      out(statusText(body as StatusBody, sessions ? "opened sessions" : "verifications"), body);
      return EXIT.ok;
    }
    case "rotate": {
      const mode = values.immediate ? "immediate" : "graceful";
      const why = reason();
      await confirm(
        values,
        mode === "immediate"
          ? sessions
            ? "Immediate rotation of the sessions keyring: every session sealed so far stops opening and everyone must log in again."
            : "Immediate rotation: every token issued so far stops working and everyone must log in again."
          : `Graceful rotation: a new key is published now and starts ${sessions ? "sealing" : "signing"} after pre-publication.`,
      );
      const { body } = await client().expect("POST", `${base}/keys/rotate`, { mode, reason: why });
      const value = body as { kid: string; activatesAt: string };
      out(
        `${mode} rotation: new key ${value.kid}, ${sessions ? "sealing" : "signing"} from ${value.activatesAt}`,
        body,
      );
      return EXIT.ok;
    }
    case "rollback": {
      const why = reason();
      await confirm(values, "Rollback: the previous key becomes current again.");
      const { body } = await client().expect("POST", `${base}/keys/rollback`, { reason: why });
      out(`current key is now ${(body as { current: string }).current}`, body);
      return EXIT.ok;
    }
    case "reinstate": {
      const kid = rest[0];
      if (kid === undefined)
        throw new CliError(EXIT.usage, "usage: keyward reinstate KID --reason R");
      const why = reason();
      await confirm(
        values,
        `Reinstate ${kid}: ${sessions ? "sessions it sealed open" : "tokens it signed verify"} again.`,
      );
      const { body } = await client().expect(
        "POST",
        `${base}/keys/${encodeURIComponent(kid)}/reinstate`,
        { reason: why },
      );
      out(`${kid} is previous again (verifies; roll back to make it sign)`, body);
      return EXIT.ok;
    }
    case "revoke": {
      const item = revocationItem(values);
      const why = reason();
      if (item.all === true)
        await confirm(
          values,
          "Revoke all: every token issued so far stops working (forced logout of everyone).",
        );
      const { body } = await client().expect("POST", "/v1/revocations", { ...item, reason: why });
      const value = body as { revoked: boolean; noop?: boolean; rule?: string; message?: string };
      out(
        value.revoked
          ? `revoked (${value.rule})`
          : `nothing to revoke: ${value.message ?? "no-op"}`,
        body,
      );
      return EXIT.ok;
    }
    case "revoke-batch":
      return revokeBatch(client(), rest[0], reason(), values);
    case "check": {
      const given = (["token", "jti", "sub", "kid"] as const).filter(
        (n) => values[n] !== undefined,
      );
      if (given.length !== 1)
        throw new CliError(EXIT.usage, "give exactly one of --token, --jti, --sub, --kid");
      if (values.iss !== undefined && values.jti === undefined)
        throw new CliError(EXIT.usage, "--iss goes with --jti");
      const query = new URLSearchParams();
      if (values.token) query.set("token", values.token);
      if (values.jti) query.set("jti", values.jti);
      if (values.iss) query.set("iss", values.iss);
      if (values.sub) query.set("sub", values.sub);
      if (values.kid) query.set("kid", values.kid);
      const { body } = await client().expect("GET", `/v1/revocations/check?${query}`);
      const value = body as { revoked: boolean; rule?: string; since?: string };
      out(revocationStatusText(value), body);
      return EXIT.ok;
    }
    case "sessions": {
      if (values.sub === undefined) throw new CliError(EXIT.usage, "sessions needs --sub S");
      const { body } = await client().expect(
        "GET",
        `/v1/sessions?${new URLSearchParams({ sub: values.sub })}`,
      );
      const { sessions } = body as {
        sessions: {
          familyId: string;
          createdAt: string;
          lastUsedAt: string;
          expiresAt: string;
          client?: string;
          userAgent?: string;
        }[];
      };
      const lines = sessions.map(
        (s) =>
          `${s.familyId}  created ${oneLine(s.createdAt)}  last used ${oneLine(s.lastUsedAt)}  until ${oneLine(s.expiresAt)}  ${oneLine(s.client ?? "-")}  ${oneLine(s.userAgent ?? "")}`,
      );
      out(lines.join("\n") || "(no live sessions)", body);
      return EXIT.ok;
    }
    case "audit": {
      const query = new URLSearchParams();
      const limit = wholeNumber("limit", values.limit, 1, 500);
      const before = wholeNumber("before", values.before, 1, Number.MAX_SAFE_INTEGER);
      if (limit !== undefined) query.set("limit", String(limit));
      if (before !== undefined) query.set("before", String(before));
      const { body } = await client().expect("GET", `/v1/audit?${query}`);
      const page = body as {
        entries: {
          seq: number;
          at: string;
          actor: string;
          action: string;
          target?: string;
          reason?: string;
          result: string;
        }[];
        next?: number;
      };
      const lines = page.entries.map(
        (e) =>
          `${String(e.seq).padStart(5)} ${oneLine(e.at)} ${oneLine(e.actor).padEnd(12)} ${oneLine(e.action).padEnd(16)} ${oneLine(e.result).padEnd(8)} ${oneLine(e.target ?? "")}  ${oneLine(e.reason ?? "")}`,
      );
      if (page.next !== undefined) lines.push(`(more: --before ${page.next})`);
      out(lines.join("\n") || "(empty)", body);
      return EXIT.ok;
    }
    case "keys": {
      if (rest[0] !== "import")
        throw new CliError(
          EXIT.usage,
          `unknown keys command "${rest[0]}": usage: keyward ${COMMANDS.keys?.synopsis}`,
        );
      if (sessions) return importSessionKey(client(), values, reason, out);
      if (values["session-lifetime"] !== undefined)
        throw new CliError(EXIT.usage, "--session-lifetime goes with --keyring sessions");
      const encoding = values.encoding ?? "utf8";
      if (!["utf8", "base64", "hex"].includes(encoding))
        throw new CliError(EXIT.usage, "--encoding takes utf8, base64 or hex");
      const name = values["from-env"];
      if (name === undefined)
        throw new CliError(
          EXIT.usage,
          "--from-env NAME is required: the environment variable holding the secret",
        );
      const secret = process.env[name];
      if (secret === undefined || secret === "")
        throw new CliError(EXIT.usage, `environment variable ${name} is not set`);
      const sampleName = values["sample-from-env"];
      if ((values["token-lifetime"] === undefined) === (sampleName === undefined))
        throw new CliError(
          EXIT.usage,
          "give how long the legacy system's tokens live: --token-lifetime SECONDS, or --sample-from-env NAME (a variable holding one of its tokens)",
        );
      const lifetime = wholeNumber("token-lifetime", values["token-lifetime"], 1, 31_622_400);
      const sample = sampleName === undefined ? undefined : process.env[sampleName];
      if (sampleName !== undefined && (sample === undefined || sample === ""))
        throw new CliError(EXIT.usage, `environment variable ${sampleName} is not set`);
      const why = reason();
      await confirm(values, `Import ${name} as a signing key (verify-only if under 32 bytes).`);
      const { body } = await client().expect("POST", `${base}/keys/import`, {
        secret,
        encoding,
        reason: why,
        ...(lifetime === undefined ? {} : { tokenLifetimeSeconds: lifetime }),
        ...(sample === undefined ? {} : { sampleToken: sample }),
      });
      const imported = body as { kid: string; status: string; warning?: string };
      out(
        `imported as key ${imported.kid} (${imported.status})${imported.warning ? `\nwarning: ${imported.warning}` : ""}`,
        body,
      );
      return EXIT.ok;
    }
    case "plan": {
      const days = wholeNumber("days", values.days, 1, 3650) ?? 365;
      const { body } = await client().expect("GET", `${base}/plan?days=${days}`);
      const plan = body as {
        transitions: { at: string; action: string; kid?: string; reason: string }[];
      };
      out(
        plan.transitions
          .map(
            (t) =>
              `${oneLine(t.at)}  ${oneLine(t.action).padEnd(9)} ${oneLine(t.kid ?? "(new key)")}  (${oneLine(t.reason)})`,
          )
          .join("\n") || "nothing due",
        body,
      );
      return EXIT.ok;
    }
    case "journal": {
      const since = calendarDate("since", values.since);
      const { body } = await client().expect("GET", `${base}/journal?since=${since}`);
      const journal = body as { since: string; rotations: RotationRecord[] };
      out(journalMarkdown(journal.since, journal.rotations, keyring), body);
      return EXIT.ok;
    }
    case "simulate":
      return simulateCommand(values, keyring);
    case "hash-token": {
      // Read from stdin, never from the command line, so the credential stays out of shell history.
      let credential = "";
      for await (const chunk of process.stdin) credential += chunk;
      credential = credential.trim();
      if (credential.length < 32)
        throw new CliError(EXIT.usage, "give a credential of at least 32 characters on stdin");
      const hash = toHex(sha256(credential));
      out(hash, { tokenSha256: hash });
      return EXIT.ok;
    }
    default:
      throw new Error(`command ${command} is in the table but not handled`);
  }
}

/** `--keyring NAME`, default the signing keyring; anything else is a usage error naming them. */
function keyringOf(values: Flags): KeyringName {
  const name = values.keyring ?? "signing";
  if (!isKeyringName(name))
    throw new CliError(
      EXIT.usage,
      `--keyring takes ${KEYRING_NAMES.join(" or ")}, got "${oneLine(name.slice(0, 40))}"`,
    );
  return name;
}

/**
 * `keys import --keyring sessions --from-env NAME`: the runbook's SESSION_ENCRYPTION_KEY becomes
 * the sessions keyring's current key, refused with the runbook's own messages when absent or not
 * 32 bytes of base64. Legacy sessions live at most `--session-lifetime` (default: the maximum).
 */
async function importSessionKey(
  client: OpsClient,
  values: Flags,
  reason: () => string,
  out: (human: string, json: unknown) => void,
): Promise<number> {
  for (const option of ["encoding", "token-lifetime", "sample-from-env"] as const)
    if (values[option] !== undefined)
      throw new CliError(
        EXIT.usage,
        `--${option} is for JWT secrets; a session key is 32 bytes of base64 (--session-lifetime says how long its sessions live)`,
      );
  const name = values["from-env"];
  if (name === undefined)
    throw new CliError(
      EXIT.usage,
      "--from-env NAME is required: the environment variable holding the key (SESSION_ENCRYPTION_KEY)",
    );
  const read = sessionKeyFromEnv(process.env[name], name);
  if (!read.ok) throw new CliError(EXIT.usage, read.message);
  const lifetime = wholeNumber("session-lifetime", values["session-lifetime"], 1, 31_622_400);
  const why = reason();
  await confirm(
    values,
    `Import ${name} as the sessions keyring's current key: sessions it sealed keep opening, new ones are sealed with it until the next rotation.`,
  );
  const { body } = await client.expect("POST", "/v1/keyrings/sessions/keys/import", {
    secret: read.secret,
    reason: why,
    ...(lifetime === undefined ? {} : { sessionLifetimeSeconds: lifetime }),
  });
  const imported = body as { kid: string; status: string };
  out(`imported as key ${imported.kid} (${imported.status}) of the sessions keyring`, body);
  return EXIT.ok;
}

/**
 * Runs a keyring's policy (the KEYWARD_* or KEYWARD_SESSIONS_* settings of this environment)
 * against simulated traffic: logins and tokens, or sessions opened and lazily re-sealed.
 */
async function simulateCommand(values: Flags, keyring: KeyringName): Promise<number> {
  const read = new EnvReader(process.env);
  const policy = readRotationPolicy(read, keyring);
  const days = simulationNumber("days", values.days, 365) ?? 365;
  const emergencyDay = simulationNumber(
    "emergency-day",
    values["emergency-day"],
    Math.min(45, days),
  );
  const rollbackDay = simulationNumber("rollback-day", values["rollback-day"], Math.min(317, days));
  const users =
    simulationNumber("users", values.users, keyring === "sessions" ? 50 : 20) ??
    (keyring === "sessions" ? 50 : 20);
  const progress = progressBar(days, values.json === true);
  const settings = {
    policy,
    days,
    users,
    ...(emergencyDay === undefined ? {} : { emergencyDay }),
    ...(rollbackDay === undefined ? {} : { rollbackDay }),
    startMs: Math.floor(Date.now() / DAY) * DAY,
    random: cryptoRandom,
    onDay: (day: number) => progress(day - 1),
  };
  let text: string;
  let holds: boolean;
  let report: unknown;
  try {
    read.done();
    if (keyring === "sessions") {
      const sessions = await simulateSessions(settings);
      [report, text, holds] = [
        sessions,
        sessionSimulationText(sessions),
        sessionSimulationHolds(sessions),
      ];
    } else {
      const tokens = await simulate(settings);
      [report, text, holds] = [tokens, simulationText(tokens), simulationHolds(tokens)];
    }
  } catch (error) {
    if (error instanceof ConfigInvalid) throw new CliError(EXIT.usage, error.message);
    throw error;
  }
  progress(days);
  console.log(values.json ? JSON.stringify(report, null, 2) : text);
  return holds ? EXIT.ok : EXIT.refused;
}

/** A simulation's whole-number option: its default when absent, undefined for `none`. */
function simulationNumber(
  flag: string,
  raw: string | undefined,
  fallback: number | undefined,
): number | undefined {
  if (raw === undefined) return fallback;
  if (raw === "none") return undefined;
  if (!/^\d+$/.test(raw)) throw new CliError(EXIT.usage, `--${flag} takes a whole number`);
  return Number(raw);
}

function revocationItem(values: Flags): Record<string, unknown> {
  const given = (["token", "jti", "sub", "claim", "all", "kid", "family"] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (given.length !== 1)
    throw new CliError(
      EXIT.usage,
      "give exactly one of --token, --jti, --sub, --claim, --all, --kid, --family",
    );
  if (values.token) return { token: values.token };
  if (values.family) return { family: values.family };
  if (values.sub) return { sub: values.sub };
  if (values.kid) return { kid: values.kid };
  if (values.all) return { all: true };
  if (values.claim) {
    const eq = values.claim.indexOf("=");
    if (eq < 1) throw new CliError(EXIT.usage, "--claim takes NAME=VALUE, e.g. role=admin");
    return { claim: values.claim.slice(0, eq), value: values.claim.slice(eq + 1) };
  }
  const exp = Number(values.exp);
  if (!Number.isInteger(exp))
    throw new CliError(
      EXIT.usage,
      "--jti needs --exp (the token's expiry, seconds since the epoch)",
    );
  return { jti: values.jti, exp, ...(values.iss ? { iss: values.iss } : {}) };
}

interface StatusBody {
  keys: {
    kid: string;
    alg: string;
    status: string;
    compromised: boolean;
    legacy?: boolean;
    share: number | null;
    /** Tokens from stale signers (this hour and the last); null when not measured. */
    staleSigner?: number | null;
    next: { action: string; earliest: string; latest?: string } | null;
  }[];
}

/**
 * One line per key: status, share of the last day's verifications or opened sessions (when
 * figures exist) and the next transition. Dates are the policy's earliest; a previous key's retirement depends on its
 * share, so its latest is shown too (`plan` projects with unknown usage).
 */
function statusText(body: StatusBody, counted: string): string {
  const pending = body.keys.find((k) => k.status === "pending");
  return body.keys
    .map((k) => {
      const share = k.share === null ? "" : `  ${(k.share * 100).toFixed(1)} % of ${counted}`;
      let next = "";
      if (k.status === "current" && pending !== undefined)
        next = `  next: previous when ${oneLine(pending.kid)} activates`;
      else if (k.next?.latest !== undefined)
        next = `  next: ${oneLine(k.next.action)} from ${oneLine(k.next.earliest)} (once its share is low), by ${oneLine(k.next.latest)} at the latest`;
      else if (k.next) next = `  next: ${oneLine(k.next.action)} from ${oneLine(k.next.earliest)}`;
      const stale =
        (k.staleSigner ?? 0) > 0
          ? `\n           stale signer: ${k.staleSigner} tokens in the last two hours were signed with ${oneLine(k.kid)} after it stopped signing${k.legacy ? " (or with the imported secret, outside keyward)" : ""}: a login service does not sign through keyward; its retirement waits. Restart or fix that service (keyward/issuer, or POST /v1/tokens).`
          : "";
      return `${oneLine(k.status).padEnd(10)} ${oneLine(k.kid)}  ${oneLine(k.alg).padEnd(6)}${k.compromised ? " compromised" : ""}${share}${next}${stale}`;
    })
    .join("\n");
}

/** A cut-off refuses tokens issued at or before its millisecond; a token or key rule refuses outright. */
function revocationStatusText(value: { revoked: boolean; rule?: string; since?: string }): string {
  if (!value.revoked) return "not revoked";
  if (value.rule === "token") return `revoked by token rule since ${value.since}`;
  if (value.rule === "kid")
    return `revoked by kid rule since ${value.since}: every token of the key is refused`;
  return `revoked by ${value.rule} rule: tokens issued at or before ${value.since} are refused`;
}

/** Asks on the terminal; without one, only --yes goes ahead. */
async function confirm(values: Flags, what: string): Promise<void> {
  if (values.yes) return;
  if (!process.stdin.isTTY)
    throw new CliError(
      EXIT.notConfirmed,
      `${what}\nNo terminal to confirm on: pass --yes to go ahead.`,
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${what}\nType yes to go ahead: `);
  rl.close();
  if (answer.trim().toLowerCase() !== "yes")
    throw new CliError(EXIT.notConfirmed, "not confirmed; nothing was done");
}

/**
 * Sends a file of revocations in chunks, with a progress bar. After each chunk the number done is
 * saved beside the file (`FILE.keyward-progress`, gitignored), so a re-run after an interruption
 * skips what is done if the file did not change; a re-run with another reason asks first.
 */
async function revokeBatch(
  client: OpsClient,
  path: string | undefined,
  reason: string,
  values: Flags,
): Promise<number> {
  if (path === undefined)
    throw new CliError(EXIT.usage, "usage: keyward revoke-batch FILE --reason R");
  const { items, digest } = readBatchFile(path);
  const progressFile = `${path}.keyward-progress`;
  const temporary = `${progressFile}.tmp`;
  let done = 0;
  if (existsSync(progressFile)) {
    let saved: { digest?: string; done?: number; reason?: string } = {};
    try {
      saved = JSON.parse(readFileSync(progressFile, "utf8"));
    } catch {
      // an unreadable progress file: start over
    }
    if (saved.digest === digest && typeof saved.done === "number") {
      done = Math.min(saved.done, items.length);
      if (saved.reason !== undefined && saved.reason !== reason)
        await confirm(
          values,
          `The interrupted run of ${path} gave the reason "${saved.reason}"; the rest would be journaled as "${reason}".`,
        );
    } else if (saved.digest !== undefined)
      process.stderr.write(
        "the file changed since the interrupted run: starting from the beginning\n",
      );
    if (done > 0) process.stderr.write(`resuming: ${done} of ${items.length} already done\n`);
  }
  const progress = progressBar(items.length, values.json === true);
  progress(done);
  const onInterrupt = () => {
    rmSync(temporary, { force: true });
    process.stderr.write(
      `\ninterrupted at ${done} of ${items.length}; re-run the same command to resume\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  let expired = 0;
  let failed = 0;
  const failures: { index: number; error: string }[] = [];
  while (done < items.length) {
    const chunk = items.slice(done, done + BATCH_CHUNK);
    const { body } = await client.expect("POST", "/v1/revocations/batch", { items: chunk, reason });
    for (const result of (
      body as { results: { index: number; ok: boolean; noop?: boolean; error?: string }[] }
    ).results) {
      if (result.ok && result.noop) expired++;
      if (!result.ok) {
        failed++;
        if (failures.length < 20)
          failures.push({ index: done + result.index, error: result.error ?? "failed" });
      }
    }
    done += chunk.length;
    writeFileSync(temporary, JSON.stringify({ digest, done, reason }));
    renameSync(temporary, progressFile);
    progress(done);
  }
  process.removeListener("SIGINT", onInterrupt);
  rmSync(progressFile, { force: true });
  const revoked = items.length - failed - expired;
  const summary = { items: items.length, revoked, expired, failed, failures };
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`${revoked} revoked, ${expired} already expired (nothing to do), ${failed} failed`);
    for (const f of failures) console.log(`  item ${f.index + 1}: ${oneLine(f.error)}`);
  }
  return failed === 0 ? EXIT.ok : EXIT.refused;
}

function progressBar(total: number, quiet: boolean): (done: number) => void {
  if (quiet) return () => undefined;
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (done) => {
    const share = total === 0 ? 1 : done / total;
    // Without a terminal each update is a line of its own: one per tenth is enough.
    const tenth = Math.floor(share * 10);
    if (!tty && tenth === shown) return;
    shown = tenth;
    const bar = `[${"#".repeat(Math.round(share * 30)).padEnd(30, "-")}] ${done}/${total} (${Math.floor(share * 100)}%)`;
    process.stderr.write(tty ? `\r${bar}${done === total ? "\n" : ""}` : `${bar}\n`);
  };
}

/** Errors go to stderr, or with --json as `{"error": {code, message}}` on stdout; the exit code is the same. */
function fail(json: boolean, exitCode: number, code: string, message: string): never {
  if (json) console.log(JSON.stringify({ error: { code, message } }, null, 2));
  else console.error(terminalSafe(message));
  process.exit(exitCode);
}

const argv = process.argv.slice(2);
const json = argv.includes("--json");
let invocation: Invocation;
try {
  invocation = parseInvocation(argv);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  fail(json, error.exitCode, "usage", error.message);
}
main(invocation.values, invocation).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError)
      fail(
        json,
        error.exitCode,
        error.code ?? EXIT_NAMES[error.exitCode] ?? "error",
        error.message,
      );
    fail(json, EXIT.unavailable, "unexpected", `unexpected error: ${(error as Error).name}`);
  },
);
