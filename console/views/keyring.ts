import { html } from "hono/html";
import type { VerifiersResponse } from "../../functions/ops-api/wire.ts";
import type { KeyringView } from "../api.ts";
import { isoMinute, swatch, visible } from "./layout.ts";
import { keyColour, shareSvg } from "./share.ts";
import { PHASE_COLOURS, timelineSvg } from "./timeline.ts";

/** What is wrong now and wants a look, in the words the alarms use. */
export function alertsOf(views: readonly KeyringView[], verifiers: VerifiersResponse | undefined) {
  const alerts: { text: string; bad: boolean }[] = [];
  for (const view of views) {
    for (const key of view.keys.keys) {
      if ((key.staleSigner ?? 0) > 0)
        alerts.push({
          bad: true,
          text: `${view.name}: ${key.staleSigner} tokens of the last two hours were signed with ${key.kid} after it stopped signing (a login service that did not follow the rotation)`,
        });
    }
  }
  for (const reach of verifiers?.pending ?? [])
    if (reach.laggards.length > 0)
      alerts.push({
        bad: false,
        text: `${reach.keyring}: pending ${reach.kid} is held by ${reach.held} of ${reach.live} live verifiers; its first signing waits for ${reach.laggards.slice(0, 3).join(", ")}${reach.laggards.length > 3 ? ` and ${reach.laggards.length - 3} more` : ""}`,
      });
  for (const v of verifiers?.verifiers ?? [])
    if ((v.lag?.p99Ms ?? 0) > 1000)
      alerts.push({
        bad: true,
        text: `${v.kind} ${visible(v.region)} ${visible(v.instance)}: revocations reached it in ${v.lag?.p99Ms} ms (p99), beyond the 1 s promise`,
      });
  return alerts;
}

export function alertList(alerts: ReturnType<typeof alertsOf>) {
  if (alerts.length === 0)
    return html`<p class="muted">Nothing needs a look: no stale signer, no activation waiting, no revocation lag beyond 1 s.</p>`;
  return html`<ul class="alerts" aria-label="Needs a look">${alerts.map(
    (a) => html`<li class="${a.bad ? "bad" : ""}">${visible(a.text)}</li>`,
  )}</ul>`;
}

/** A keyring's timeline, its share chart and their legends. */
export function keyringCharts(view: KeyringView, now: number) {
  const rotations = view.journal.rotations;
  return html`<h3>Timeline</h3>
<ul class="legend" aria-label="Phases">${(Object.entries(PHASE_COLOURS) as [string, string][]).map(
    ([phase, colour]) => html`<li>${swatch(colour)}${phase}</li>`,
  )}<li>${swatch("#4a5360", true)}planned (dashed)</li></ul>
<div class="scroll">${timelineSvg(view.keys, view.plan, rotations, now, `${view.name} keyring: each key's phases, past and planned`)}</div>
<h3>Share of verifications per key, last 24 hours</h3>
${
  view.usage === undefined
    ? html`<p class="muted">This deployment keeps no usage figures.</p>`
    : html`<ul class="legend" aria-label="Keys">${view.keys.keys.map((key, i) =>
        counted(view, key.kid) || key.status === "current"
          ? html`<li>${swatch(keyColour(i))}<span class="kid">${key.kid}</span> (${key.status})</li>`
          : "",
      )}</ul>
<div class="scroll">${shareSvg(view.keys, view.usage, `${view.name} keyring: each key's share of the verifications of each hour`)}</div>`
}`;
}

/** Whether the last day counted a verification of `kid`: its colour is then in the chart. */
const counted = (view: KeyringView, kid: string) =>
  view.usage?.hours.some((hour) => (hour.verified[kid] ?? 0) > 0) ?? false;

/** The keys as a table: what the charts draw, in words. */
export function keysTable(view: KeyringView, actions?: (kid: string, status: string) => unknown) {
  return html`<div class="scroll"><table>
<caption class="muted">Keys of the ${view.name} keyring, revision ${view.keys.revision}</caption>
<thead><tr><th scope="col">status</th><th scope="col">kid</th><th scope="col">alg</th><th scope="col">created</th><th scope="col">activated</th><th scope="col">share (24 h)</th><th scope="col">next</th>${actions === undefined ? "" : html`<th scope="col">actions</th>`}</tr></thead>
<tbody>${view.keys.keys.map(
    (key) => html`<tr>
<td class="status-${key.status}">${key.status}${key.compromised ? html` <span class="compromised">compromised</span>` : ""}${key.legacy ? " (legacy)" : ""}${key.kmsKeyArn === undefined ? "" : html` <span title="${key.kmsKeyArn}">(KMS)</span>`}</td>
<td class="kid">${key.kid}</td><td>${key.alg}</td><td>${isoMinute(key.createdAt)}</td><td>${isoMinute(key.activatedAt)}</td>
<td>${key.share === null ? "–" : `${(key.share * 100).toFixed(1)} %`}</td>
<td>${key.next === null ? "–" : `${key.next.action} from ${isoMinute(key.next.earliest)}${key.next.latest === undefined ? "" : ` to ${isoMinute(key.next.latest)}`}`}</td>
${actions === undefined ? "" : html`<td>${actions(key.kid, key.status)}</td>`}
</tr>`,
  )}</tbody></table></div>`;
}

/** The plan's next transitions. */
export function planList(view: KeyringView) {
  const next = view.plan.transitions.slice(0, 12);
  if (next.length === 0) return html`<p class="muted">Nothing is due in the next year.</p>`;
  return html`<div class="scroll"><table><thead><tr><th scope="col">when</th><th scope="col">action</th><th scope="col">key</th><th scope="col">why</th></tr></thead><tbody>${next.map(
    (t) =>
      html`<tr><td>${isoMinute(t.at)}</td><td>${t.action}</td><td class="kid">${t.kid ?? "(a new key)"}</td><td>${visible(t.reason)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The rotation journal of a keyring, newest first. */
export function rotationsTable(view: KeyringView) {
  const rows = [...view.journal.rotations].reverse();
  if (rows.length === 0) return html`<p class="muted">No rotation yet.</p>`;
  return html`<div class="scroll"><table><thead><tr><th scope="col">activated</th><th scope="col">trigger</th><th scope="col">old → new</th><th scope="col">by</th><th scope="col">reason</th><th scope="col">self-test</th><th scope="col">refused</th></tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr><td>${isoMinute(r.activatedAt)}</td><td>${r.trigger}${r.rolledBack ? " (rolled back)" : ""}</td><td class="kid">${r.oldKid ?? "–"} → ${r.newKid}</td><td>${visible(r.actor)}</td><td>${visible(r.reason)}</td><td>${r.selfTest}</td><td>${r.refusedVerifications ?? "–"}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The live verifiers of a keyring: what each holds and how late revocations reach it. */
export function verifiersTable(verifiers: VerifiersResponse | undefined, keyring: string) {
  if (verifiers === undefined) return html`<p class="muted">This deployment keeps no receipts.</p>`;
  const live = verifiers.verifiers.filter((v) => v.keyring === keyring);
  if (live.length === 0)
    return html`<p class="muted">No instance reported in the last ${verifiers.windowSeconds / 60} minutes.</p>`;
  return html`<div class="scroll"><table><thead><tr><th scope="col">kind</th><th scope="col">region</th><th scope="col">instance</th><th scope="col">revision</th><th scope="col">keys held</th><th scope="col">revocation lag p99</th><th scope="col">last seen</th></tr></thead><tbody>${live.map(
    (v) =>
      html`<tr><td>${v.kind}</td><td>${visible(v.region)}</td><td class="kid">${visible(v.instance)}</td><td>${v.revision ?? "none"}</td><td class="kid">${v.keys.map((k) => `${k.kid} (${k.status})`).join(", ")}</td><td>${v.lag === undefined ? "–" : `${v.lag.p99Ms} ms`}</td><td>${new Date(v.at).toISOString().slice(11, 19)}</td></tr>`,
  )}</tbody></table></div>`;
}
