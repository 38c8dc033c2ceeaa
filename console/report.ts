import { writeFile } from "node:fs/promises";
import { html } from "hono/html";
import type { KeyringName } from "../shared/keyring/names.ts";
import type { SimulationReport } from "../shared/simulation/simulate.ts";
import { consoleReads, type OpsCaller } from "./api.ts";
import { keyringCharts, keysTable, planList, rotationsTable } from "./views/keyring.ts";
import { page } from "./views/layout.ts";

/**
 * Static reports, for change reviews and post-incident write-ups: one self-contained page (its
 * stylesheet inside, no script, nothing fetched, its own Content-Security-Policy) with the same
 * timeline, share chart and tables as the console.
 */

/** A keyring as the console shows it: its timeline and share, keys, plan and rotation journal. */
export async function keyringReport(
  api: OpsCaller,
  keyring: KeyringName,
  since: string,
  now: number,
  title: string,
): Promise<string> {
  const view = await consoleReads(api).keyring(keyring, since);
  const body =
    view === undefined
      ? html`<p>The ${keyring} keyring does not exist yet.</p>`
      : html`<p class="muted">Written ${new Date(now).toISOString()}: the ${keyring} keyring at revision ${view.keys.revision}.</p>
${keyringCharts(view, now)}
<h2>Keys</h2>${keysTable(view)}
<h2>Plan</h2>${planList(view)}
<h2>Rotation journal since ${since}</h2>${rotationsTable(view)}`;
  return String(await page({ title, body, styling: { inline: true } }));
}

/** A simulation: each key's time as the signing key, drills marked, and the figures per rotation. */
export async function simulationReport(report: SimulationReport, title: string): Promise<string> {
  const width = 1000;
  const left = 40;
  const x = (day: number) => left + ((day - 1) / Math.max(1, report.days)) * (width - left - 10);
  const rows = report.rotations.map((r, i) => ({
    r,
    to: report.rotations[i + 1]?.day ?? report.days + 1,
  }));
  const height = 40 + rows.length * 24 + 30;
  const body = html`<p>${report.days} days, ${report.users} users, ${report.verifications} verifications. Valid unrevoked tokens refused: ${report.totals.refusedValidTokens}; forced re-logins outside emergencies: ${report.totals.gracefulForcedRelogins}; new logins refused: ${report.totals.refusedNewLogins}.</p>
<h2>Which key signed, day by day</h2>
<div class="scroll"><svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="sim-title"><title id="sim-title">Each key's time as the signing key over ${report.days} days; emergencies in red</title>
${rows.map(
  ({ r, to }, i) =>
    html`<rect x="${x(r.day).toFixed(1)}" y="${30 + i * 24}" width="${Math.max(2, x(to) - x(r.day)).toFixed(1)}" height="16" fill="${r.trigger === "emergency" ? "#a4161a" : r.trigger === "rollback" ? "#b35c00" : "#22804a"}"><title>${r.newKid}: ${r.trigger} on day ${r.day}</title></rect><text x="${(x(r.day) + 4).toFixed(1)}" y="${30 + i * 24 - 3}">day ${r.day}: ${r.trigger}</text>`,
)}
<line x1="${left}" x2="${width - 10}" y1="${height - 24}" y2="${height - 24}" stroke="#4a5360"/>
${[
  1,
  ...[30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360].filter((d) => d <= report.days),
].map((d) => html`<text x="${x(d).toFixed(1)}" y="${height - 8}" text-anchor="middle">${d}</text>`)}
</svg></div>
<h2>Rotations</h2>
<div class="scroll"><table><thead><tr><th scope="col">day</th><th scope="col">trigger</th><th scope="col">old → new</th><th scope="col">self-test</th><th scope="col">valid tokens refused</th><th scope="col">forced re-logins</th></tr></thead><tbody>${report.rotations.map(
    (r) =>
      html`<tr><td>${r.day}</td><td>${r.trigger}</td><td class="kid">${r.oldKid ?? "–"} → ${r.newKid}</td><td>${r.selfTest}</td><td>${r.refusedValidTokens}</td><td>${r.forcedRelogins}</td></tr>`,
  )}</tbody></table></div>
<h2>Verifiers</h2>
<ul>${report.verifiers.map(
    (v) =>
      html`<li>${v.name} (${v.kind}, ${v.lag})${v.away === undefined ? "" : `: away from ${v.away.from} to ${v.away.until}`}: ${v.verifications} verifications</li>`,
  )}</ul>`;
  return String(await page({ title, body, styling: { inline: true } }));
}

/** Writes a report where `--html` says; the path is the operator's. */
export async function writeReport(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o644 });
}
