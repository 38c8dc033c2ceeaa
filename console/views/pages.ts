import { html } from "hono/html";
import type {
  AuditResponse,
  CheckResponse,
  ImpactResponse,
  VerifiersResponse,
} from "../../functions/ops-api/wire.ts";
import type { KeyringView } from "../api.ts";
import {
  emergencyForm,
  type FormContext,
  keyringActions,
  reinstateForm,
  revokeForm,
  searchForm,
  when,
} from "./forms.ts";
import {
  alertList,
  alertsOf,
  keyringCharts,
  keysTable,
  planList,
  rotationsTable,
  verifiersTable,
} from "./keyring.ts";
import { isoMinute, visible } from "./layout.ts";

type Entry = AuditResponse["entries"][number];

/** `/console`: what needs a look, then each keyring's timeline and share. */
export function overviewBody(
  base: string,
  views: readonly KeyringView[],
  verifiers: VerifiersResponse | undefined,
  now: number,
) {
  return html`<h2>Needs a look</h2>
${alertList(alertsOf(views, verifiers))}
${views.map(
  (view) => html`<section class="card" aria-labelledby="kr-${view.name}">
<h2 id="kr-${view.name}"><a href="${base}/keyrings/${view.name}">${view.name} keyring</a></h2>
${keyringCharts(view, now)}
</section>`,
)}`;
}

/** `/console/keyrings/<name>`: the charts, the keys, the plan, the verifiers, the journal, actions. */
export function keyringBody(
  view: KeyringView,
  verifiers: VerifiersResponse | undefined,
  now: number,
  forms: FormContext | undefined,
) {
  const actions =
    forms === undefined
      ? undefined
      : (kid: string, status: string) =>
          status === "retired"
            ? when(forms, "admin", () => reinstateForm(forms, view.name, kid))
            : "";
  return html`${alertList(alertsOf([view], verifiers))}
${keyringCharts(view, now)}
<h2>Keys</h2>
${keysTable(view, forms !== undefined && forms.role === "admin" ? actions : undefined)}
${when(forms, "admin", () => html`<h2>Actions</h2>${keyringActions(forms as FormContext, view.name)}`)}
<h2>Plan</h2>
${planList(view)}
<h2>Verifiers</h2>
${verifiersTable(verifiers, view.name)}
<h2>Rotation journal</h2>
${rotationsTable(view)}`;
}

/**
 * `/console/keyrings/<name>/emergency`: the expected effect first (every token issued before now
 * is refused; who verified tokens of the current key over the last day logs in again), then the
 * confirmation.
 */
export function emergencyBody(
  view: KeyringView,
  impact: ImpactResponse | undefined,
  forms: FormContext | undefined,
) {
  const current = view.keys.keys.find((key) => key.status === "current");
  const consumers = impact?.consumers ?? [];
  const effect =
    view.name === "signing"
      ? html`Every token issued before now is refused, whatever key signed it; the current key ${current?.kid ?? ""} and any previous key are compromised and never verify again. Everyone logs in again.`
      : html`Every session sealed under the current key ${current?.kid ?? ""} or a previous key is refused; its users log in again.`;
  return html`<section class="card"><h2>What happens</h2><p>${effect}</p>
${
  impact === undefined
    ? html`<p class="muted">This deployment keeps no usage figures to say who that is.</p>`
    : html`<p>In the last day ${impact.verifications.toLocaleString("en-US")} verifications of the current key's tokens came from ${consumers.length === 1 ? "1 consumer" : `${consumers.length} consumers`}; they will log in again:</p>
<ul>${consumers.slice(0, 10).map((c) => html`<li>${visible(c.consumer)} (${c.verifier}): ${c.verifications.toLocaleString("en-US")}</li>`)}</ul>`
}</section>
${when(forms, "admin", () => emergencyForm(forms as FormContext, view.name))}
${forms === undefined || forms.role !== "admin" ? html`<p class="muted">An emergency rotation needs the admin role.</p>` : ""}`;
}

/** `/console/revocations`: a search, the recent revocations and the key rules, a revoke form. */
export function revocationsBody(
  base: string,
  search: { kind?: string; value?: string },
  result: CheckResponse | undefined,
  audit: AuditResponse,
  views: readonly KeyringView[],
  forms: FormContext | undefined,
) {
  const revocations = audit.entries.filter((e) => e.action.startsWith("revoke"));
  const matching =
    search.value === undefined
      ? revocations
      : revocations.filter((e) => (e.target ?? "").includes(search.value ?? ""));
  const keyRules = views.flatMap((view) =>
    view.keys.keys.filter((key) => key.compromised).map((key) => ({ view: view.name, key })),
  );
  return html`${searchForm(base, search)}
${
  result === undefined
    ? ""
    : html`<p class="${result.revoked ? "error" : "notice"}" role="status">${
        result.revoked
          ? `Refused now: rule ${result.rule}, since ${isoMinute(result.since)}${result.rules.length > 1 ? ` (and ${result.rules.length - 1} more rules)` : ""}.`
          : `No rule refuses it now.${result.message === undefined ? "" : ` ${result.message}`}`
      }</p>`
}
${when(forms, "responder", () => html`<h2>Revoke</h2>${revokeForm(forms as FormContext)}`)}
<h2>${search.value === undefined ? "Recent revocations" : "Revocations matching"}</h2>
${entriesTable(base, matching, "No revocation in the latest entries of the journal.")}
<h2>Key rules</h2>
${
  keyRules.length === 0
    ? html`<p class="muted">No key is compromised.</p>`
    : html`<ul>${keyRules.map(({ view, key }) => html`<li>${view}: <span class="kid">${key.kid}</span>, compromised, refused whatever its status</li>`)}</ul>`
}`;
}

/** `/console/journal`: each keyring's rotations, then the audit log, filtered. */
export function journalBody(
  base: string,
  views: readonly KeyringView[],
  audit: AuditResponse,
  filter: { action?: string; actor?: string },
) {
  const entries = audit.entries.filter(
    (e) =>
      (filter.action === undefined || e.action.includes(filter.action)) &&
      (filter.actor === undefined || e.actor.includes(filter.actor)),
  );
  return html`${views.map((view) => html`<h2>${view.name} keyring: rotations</h2>${rotationsTable(view)}`)}
<h2>Audit log</h2>
<form method="get" action="${base}/journal" role="search"><fieldset>
<label for="filter-action">Action contains <input id="filter-action" name="action" value="${filter.action ?? ""}" maxlength="64"></label>
<label for="filter-actor">Actor contains <input id="filter-actor" name="actor" value="${filter.actor ?? ""}" maxlength="64"></label>
<button type="submit">Filter</button></fieldset></form>
${entriesTable(base, entries, "No entry matches.")}
${audit.next === undefined ? "" : html`<p><a href="${base}/journal?before=${audit.next}">Older entries</a></p>`}`;
}

/** What an entry changed, linked to where it can be looked at: a rule to its check, a key to its rules. */
function targetCell(base: string, target: string | undefined) {
  const shown = visible(target);
  const [, kind, value] = /^(sub|jti|claim|kid):(.+)$/.exec(target ?? "") ?? [];
  if (kind === undefined || value === undefined) return shown;
  const family = kind === "claim" && value.startsWith("fid=");
  const query = new URLSearchParams({
    kind: family ? "family" : kind,
    value: family ? value.slice(4) : value,
  });
  return html`<a href="${base}/revocations?${query}">${shown}</a>`;
}

function entriesTable(base: string, entries: readonly Entry[], none: string) {
  if (entries.length === 0) return html`<p class="muted">${none}</p>`;
  return html`<div class="scroll"><table><thead><tr><th scope="col">when</th><th scope="col">actor</th><th scope="col">action</th><th scope="col">target</th><th scope="col">reason</th><th scope="col">result</th></tr></thead><tbody>${entries.map(
    (e) =>
      html`<tr><td>${isoMinute(e.at)}</td><td>${visible(e.actor)}</td><td>${visible(e.action)}</td><td class="kid">${targetCell(base, e.target)}</td><td>${visible(e.reason)}</td><td>${e.result}</td></tr>`,
  )}</tbody></table></div>`;
}
