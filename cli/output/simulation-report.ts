import type { SessionSimulationReport } from "../../shared/simulation/sessions.ts";
import type { SimulationReport } from "../../shared/simulation/simulate.ts";

/** `keyward simulate` for people: one row per rotation, then the drills and the verdict. */
export function simulationText(report: SimulationReport): string {
  const rows = report.rotations.map((r, i) => {
    const keys = `${r.oldKid ?? "-"} → ${r.newKid}`;
    const worked =
      r.oldKeyTokensWorkedForSeconds === undefined ? "" : `${r.oldKeyTokensWorkedForSeconds} s`;
    return `| ${i + 1} | ${r.day} | ${r.trigger} | ${keys} | ${r.selfTest} | ${r.refusedValidTokens} | ${r.forcedRelogins} | ${worked} |`;
  });
  const drills = Object.entries(report.drills).map(
    ([name, d]) => `${name} on day ${d.day}: ${d.ok ? "done" : `refused (${d.message})`}`,
  );
  const lags = report.rotations.flatMap((r) =>
    r.issuerLag === undefined || r.issuerLag.logins === 0
      ? []
      : [
          `emergency on day ${r.day}: the issuer (keyring cache 60 s) signed ${r.issuerLag.logins} login(s) with the compromised key, the last ${r.issuerLag.lastAfterSeconds} s after it; each token was refused and its user logged in again`,
        ],
  );
  const verifiers = report.verifiers.map((v) => {
    const away =
      v.away === undefined
        ? ""
        : v.lag === "cold"
          ? `, frozen (no request, no receipt) from ${v.away.from} to ${v.away.until}`
          : `, cut off (no request, no store, no receipt) from ${v.away.from} to ${v.away.until}`;
    return `verifier ${v.name} (${v.kind}${away}): ${v.verifications} verifications`;
  });
  const { totals } = report;
  return [
    `${report.days} days, ${report.users} users, ${report.verifications} verifications`,
    ...verifiers,
    "",
    "| # | day | trigger | old → new key | self-test | valid tokens refused | forced re-logins | old-key tokens worked after |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `drills: ${drills.join("; ") || "none"}`,
    ...lags,
    `forced re-logins outside emergencies: ${totals.gracefulForcedRelogins}; valid unrevoked tokens refused: ${totals.refusedValidTokens}; new logins refused (each right after a refusal or a drill, in the same second): ${totals.refusedNewLogins}`,
  ].join("\n");
}

/** The promises a simulation checks: graceful rotations log nobody out, nothing refuses a fresh login. */
export function simulationHolds(report: SimulationReport): boolean {
  const { totals } = report;
  return (
    totals.gracefulForcedRelogins === 0 &&
    totals.refusedValidTokens === 0 &&
    totals.refusedNewLogins === 0
  );
}

/** `keyward simulate --keyring sessions` for people: one row per rotation, the drills, the verdict. */
export function sessionSimulationText(report: SessionSimulationReport): string {
  const rows = report.rotations.map(
    (r, i) =>
      `| ${i + 1} | ${r.day} | ${r.trigger} | ${r.oldKid ?? "-"} → ${r.newKid} | ${r.selfTest} | ${r.lostSessions} | ${r.forcedLogins} |`,
  );
  const drills = Object.entries(report.drills).map(
    ([name, d]) => `${name} on day ${d.day}: ${d.ok ? "done" : `refused (${d.message})`}`,
  );
  const { totals } = report;
  return [
    `${report.days} days, ${report.users} users, ${report.opens} sessions opened, ${totals.resealed} re-sealed under the current key`,
    "",
    "| # | day | trigger | old → new key | self-test | sessions lost | forced logins |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `drills: ${drills.join("; ") || "none"}`,
    `sessions lost outside emergencies: ${totals.gracefulLostSessions}; sessions under a compromised key opened after the emergency: ${totals.compromisedOpened}; sealed under it by a sealer's cached keyring (each refused at its next request): ${totals.sealedAfterEmergency}`,
  ].join("\n");
}

/** The promises: no rotation loses a session, no session under a compromised key opens. */
export function sessionSimulationHolds(report: SessionSimulationReport): boolean {
  return report.totals.lostSessions === 0 && report.totals.compromisedOpened === 0;
}
