import type { SimulationReport } from "../shared/simulation/simulate.ts";

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
  const { totals } = report;
  return [
    `${report.days} days, ${report.users} users, ${report.verifications} verifications`,
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
