import { simulationReport, writeReport } from "../../console/report.ts";
import { EnvReader } from "../../shared/config/env.ts";
import { readRotationPolicy, readSigningKeys } from "../../shared/config/writer-config.ts";
import { DAY } from "../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { SIGNING_ALGORITHMS } from "../../shared/keyring/key.ts";
import type { KeyringName } from "../../shared/keyring/names.ts";
import type { RotationPolicy } from "../../shared/keyring/policy.ts";
import { kmsCustody, signingKeyTags } from "../../shared/keyring-store/kms-custody.ts";
import { readSigningKms } from "../../shared/keyring-store/kms-keys.ts";
import { simulateSessions } from "../../shared/simulation/sessions.ts";
import {
  type SimulationOptions,
  simulate as simulateTokens,
} from "../../shared/simulation/simulate.ts";
import type { Flags } from "../arguments.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { progressBar } from "../output/progress.ts";
import {
  sessionSimulationHolds,
  sessionSimulationText,
  simulationHolds,
  simulationText,
} from "../output/simulation-report.ts";

/** `keyward simulate`: a keyring's policy against simulated traffic, locally (no API). */
export const simulate: Command = {
  positionals: [],
  options: [
    "days",
    "users",
    "emergency-day",
    "rollback-day",
    "cold-hours",
    "cut-off-day",
    "migrate-from",
    "keyring",
    "html",
  ],
  synopsis:
    "simulate [--days N] [--users N] [--emergency-day D|none] [--rollback-day D|none] [--cold-hours H] [--cut-off-day D|none] [--migrate-from ALG] [--html FILE] [--keyring signing|sessions]",
  summary:
    "runs a keyring's policy (KEYWARD_* or KEYWARD_SESSIONS_* settings) against simulated traffic, locally (no API): logins and tokens through three verifiers (one frozen for --cold-hours, default 6, after the first key is published; one cut off for the day --cut-off-day, default the emergency's), or sessions opened and lazily re-sealed. With KEYWARD_SIGNING_KEYS=kms the keys are made in AWS KMS (the AWS variables say where) and given up at the end; --migrate-from starts the keyring on a local key of that algorithm (HS256, ES256, EdDSA, RS256), as before a migration to KMS",
  examples: [
    "keyward simulate --days 365",
    "keyward simulate --emergency-day none --json",
    "KEYWARD_ALGORITHM=ES256 KEYWARD_SIGNING_KEYS=kms keyward simulate --migrate-from HS256",
    "keyward simulate --keyring sessions --days 365 --json",
  ],
  run: ({ values, keyring }) => simulateKeyring(values, keyring),
};

/**
 * Runs a keyring's policy (the KEYWARD_* or KEYWARD_SESSIONS_* settings of this environment)
 * against simulated traffic: logins and tokens, or sessions opened and lazily re-sealed.
 */
async function simulateKeyring(values: Flags, keyring: KeyringName): Promise<number> {
  const read = new EnvReader(process.env);
  const policy = readRotationPolicy(read, keyring);
  const days = simulationNumber("days", values.days, 365) ?? 365;
  const emergencyDay = simulationNumber(
    "emergency-day",
    values["emergency-day"],
    Math.min(45, days),
  );
  const rollbackDay = simulationNumber("rollback-day", values["rollback-day"], Math.min(317, days));
  const coldHours = simulationNumber("cold-hours", values["cold-hours"], 6) ?? 0;
  const cutOffDay = simulationNumber("cut-off-day", values["cut-off-day"], emergencyDay);
  if (keyring === "sessions" && values.html !== undefined)
    throw new CliError(EXIT.usage, "--html draws token simulations: not with --keyring sessions");
  if (keyring === "sessions" && (values["cold-hours"] ?? values["cut-off-day"]) !== undefined)
    throw new CliError(
      EXIT.usage,
      "--cold-hours and --cut-off-day simulate token verifiers: not with --keyring sessions",
    );
  const users =
    simulationNumber("users", values.users, keyring === "sessions" ? 50 : 20) ??
    (keyring === "sessions" ? 50 : 20);
  const held = keyring === "signing" ? signingKeysOf(read, policy, values["migrate-from"]) : {};
  if (keyring === "sessions" && values["migrate-from"] !== undefined)
    throw new CliError(
      EXIT.usage,
      "--migrate-from moves signing keys to KMS: not with --keyring sessions",
    );
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
      const tokens = await simulateTokens({
        ...settings,
        ...held,
        coldHours,
        ...(cutOffDay === undefined ? {} : { cutOffDay }),
      });
      if (values.html !== undefined)
        await writeReport(
          values.html,
          await simulationReport(tokens, `simulation of ${days} days`),
        );
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

/**
 * Where the simulated signing keys are held: in KMS with KEYWARD_SIGNING_KEYS=kms (created and
 * given up there, never signing a real login), else with the keyring; and the first key's
 * algorithm when the run starts before a migration (`--migrate-from`).
 */
function signingKeysOf(
  read: EnvReader,
  policy: RotationPolicy,
  migrateFrom: string | undefined,
): Pick<SimulationOptions, "custody" | "kms" | "firstKey"> {
  const algorithm = SIGNING_ALGORITHMS.find((alg) => alg === migrateFrom);
  if (migrateFrom !== undefined && algorithm === undefined)
    throw new CliError(EXIT.usage, "--migrate-from takes HS256, ES256, EdDSA or RS256");
  const firstKey = algorithm === undefined ? {} : { firstKey: algorithm };
  // Its problems (KMS without ES256 or RS256, without credentials) come at `read.done()`.
  const kms = readSigningKms(read, process.env, readSigningKeys(read, policy));
  if (kms === undefined) return firstKey;
  const custody = kmsCustody({
    kms,
    random: cryptoRandom,
    tags: signingKeyTags("keyward-simulation"),
    schedulesDeletion: true,
  });
  return { ...firstKey, custody, kms };
}
