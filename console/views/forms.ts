import { html } from "hono/html";
import type { Role } from "../../shared/access/operators.ts";
import { allows } from "../../shared/access/operators.ts";

/** What a page needs to draw a form: where actions go, this launch's token, the operator's role. */
export interface FormContext {
  readonly base: string;
  readonly token: string;
  readonly role: Role;
}

const tokenField = (forms: FormContext) =>
  html`<input type="hidden" name="form_token" value="${forms.token}">`;

const reasonField = (id: string) =>
  html`<label for="${id}">Reason <input id="${id}" name="reason" required maxlength="500" autocomplete="off"></label>`;

/** Only for an operator whose role allows it: a viewer is shown no action at all. */
export function when(forms: FormContext | undefined, needed: Role, form: () => unknown) {
  return forms !== undefined && allows(forms.role, needed) ? form() : "";
}

/** A graceful rotation and a rollback of a keyring (admin). */
export function keyringActions(forms: FormContext, keyring: string) {
  const at = `${forms.base}/actions/keyrings/${keyring}`;
  return html`<form class="action" method="post" action="${at}/rotate">${tokenField(forms)}
<fieldset><legend class="muted">Graceful rotation: a new key is published now and signs once every live verifier holds it</legend>
${reasonField(`rotate-reason-${keyring}`)}<button type="submit">Rotate ${keyring}</button></fieldset></form>
<form class="action" method="post" action="${at}/rollback">${tokenField(forms)}
<fieldset><legend class="muted">Rollback: the previous key signs again</legend>
${reasonField(`rollback-reason-${keyring}`)}<button type="submit">Roll back ${keyring}</button></fieldset></form>
<p><a href="${forms.base}/keyrings/${keyring}/emergency">Emergency rotation of ${keyring}…</a></p>`;
}

/** Reinstating a retired key (admin), in the keys table. */
export function reinstateForm(forms: FormContext, keyring: string, kid: string) {
  return html`<form class="inline" method="post" action="${forms.base}/actions/keyrings/${keyring}/keys/${kid}/reinstate">${tokenField(forms)}
<label for="reinstate-${kid}">Reason <input id="reinstate-${kid}" name="reason" required maxlength="500" autocomplete="off"></label>
<button type="submit">Reinstate</button></form>`;
}

/**
 * The emergency's form: the operator types the keyring's name to confirm, having read the
 * expected effect above it.
 */
export function emergencyForm(forms: FormContext, keyring: string) {
  return html`<form class="action" method="post" action="${forms.base}/actions/keyrings/${keyring}/emergency">${tokenField(forms)}
<fieldset>
<label for="confirm">Type <code>${keyring}</code> to confirm <input id="confirm" name="confirm" required autocomplete="off" pattern="${keyring}"></label>
${reasonField("emergency-reason")}
<button type="submit" class="danger">Rotate ${keyring} now (emergency)</button>
</fieldset></form>`;
}

/** Revoking a subject, a claim, a refresh-token family, a token or a jti (responder). */
export function revokeForm(forms: FormContext) {
  return html`<form class="action" method="post" action="${forms.base}/actions/revoke">${tokenField(forms)}
<fieldset>
<label for="revoke-kind">What <select id="revoke-kind" name="kind">
<option value="subject">a subject (every token of a user)</option>
<option value="claim">a claim (name=value)</option>
<option value="family">a refresh-token family</option>
<option value="token">one token (pasted; never shown again)</option>
</select></label>
<label for="revoke-value">Subject, name=value, family id or token <input id="revoke-value" name="value" required maxlength="16384" autocomplete="off"></label>
${reasonField("revoke-reason")}
<button type="submit">Revoke</button>
</fieldset></form>`;
}

/** A revocation check: is a subject, a jti or a key refused now? (viewer). */
export function searchForm(base: string, given: { kind?: string; value?: string }) {
  const option = (value: string, label: string) =>
    html`<option value="${value}"${given.kind === value ? " selected" : ""}>${label}</option>`;
  return html`<form method="get" action="${base}/revocations" role="search">
<fieldset>
<label for="search-kind">Search by <select id="search-kind" name="kind">${option("sub", "subject")}${option("jti", "jti")}${option("kid", "key (kid)")}${option("claim", "claim (name=value)")}${option("family", "family")}</select></label>
<label for="search-value">Value <input id="search-value" name="value" value="${given.value ?? ""}" required maxlength="512" autocomplete="off"></label>
<button type="submit">Search</button>
</fieldset></form>`;
}
