// Sign in with an OpenID Connect provider, as a browser app on another origin does it: the app's
// page (served here on 127.0.0.1:OIDC_APP_PORT) lists the providers, makes its own PKCE pair
// with WebCrypto (random verifier, S256 challenge; the verifier waits in sessionStorage) and
// sends the browser to Gatehouse's /auth/oidc/acme/start; Chromium lands on the real provider's
// login form (tests/oidc-provider, panva's oidc-provider), where the spec signs in as a fresh
// person whose claims it set first (a verified, fresh email); the provider returns to
// Gatehouse's callback, which returns to the app page with ?code=; the page's own script
// redeems the code at POST /auth/token (form body, its verifier, the same redirect_uri), calls
// GET /users/me with the access token and shows the account. The code is single use: the
// page's second redemption gets invalid_grant.
//
// Needs a running server with the provider `acme` (allow_signup = true), the app page's URL in
// oidc.allowed_redirect_uris and the app's origin in cors.allowed_origins, and the provider
// running with Gatehouse's callback as its redirect URI; .ci/browser.sh provides them.
// Environment: BASE_URL, OIDC_ISSUER, OIDC_APP_PORT, CHROMIUM (default /usr/bin/chromium).
// Screenshots: target/browser-oidc-provider-login.png (the provider's form, filled in) and
// target/browser-oidc-signed-in.png (the app page, signed in); on failure
// target/browser-oidc-failure.png, and a non-zero exit.

import { createServer } from "node:http";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, runSpec } from "./harness.mjs";

const { BASE_URL: api, OIDC_ISSUER: issuer, OIDC_APP_PORT } = process.env;
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "target");
const screenshots = {
  login: join(target, "browser-oidc-provider-login.png"),
  signedIn: join(target, "browser-oidc-signed-in.png"),
};
const appOrigin = `http://127.0.0.1:${OIDC_APP_PORT}`;
const appUrl = `${appOrigin}/oidc-app.html`;
const suffix = Math.random().toString(16).slice(2, 10);
const login = `oidc-person-${suffix}`;
const email = `oidc-${suffix}@example.com`;
const name = `OIDC Person ${suffix}`;

// The app: everything it does runs in the page, with nothing but fetch, WebCrypto and
// sessionStorage.
const page = `<!doctype html><meta charset="utf-8"><title>OIDC app</title>
<style>body { font: 16px system-ui, sans-serif; margin: 2em; } pre { background: #f4f4f4; padding: 1em; }</style>
<h1>An app on ${appOrigin}</h1>
<div id="providers">loading the providers…</div>
<p id="status"></p>
<pre id="me"></pre>
<script>
const API = ${JSON.stringify(api)};
const REDIRECT_URI = location.origin + location.pathname;
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const show = (id, text) => { document.getElementById(id).textContent = text; };

async function signIn(provider) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("pkce_verifier", verifier);
  const query = new URLSearchParams({ redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: "S256" });
  location.assign(API + "/auth/oidc/" + encodeURIComponent(provider) + "/start?" + query);
}

function redeem(code, verifier) {
  return fetch(API + "/auth/token", {
    method: "POST", credentials: "include",
    body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI }),
  });
}

async function finish(code) {
  show("providers", "");
  const verifier = sessionStorage.getItem("pkce_verifier");
  sessionStorage.removeItem("pkce_verifier");
  // The code has done its work: keep it out of the address bar and the history.
  history.replaceState(null, "", REDIRECT_URI);
  if (!verifier) throw new Error("no code_verifier in sessionStorage");
  const r = await redeem(code, verifier);
  const token = await r.json();
  if (!r.ok) throw new Error("POST /auth/token answered " + r.status + ": " + JSON.stringify(token));
  const again = await redeem(code, verifier);
  window.secondRedemption = { status: again.status, body: await again.json().catch(() => null) };
  const me = await fetch(API + "/users/me", { headers: { authorization: "Bearer " + token.access_token } });
  const user = await me.json();
  if (!me.ok) throw new Error("GET /users/me answered " + me.status + ": " + JSON.stringify(user));
  window.signedIn = { accessToken: token.access_token, tokenKeys: Object.keys(token), user };
  show("status", "Signed in as " + user.name + " (email verified: " + user.email_verified + ")");
  show("me", user.email);
}

async function main() {
  const params = new URLSearchParams(location.search);
  if (params.has("code")) return finish(params.get("code"));
  if (params.has("error")) throw new Error("the sign-in failed: " + params.get("error") + ": " + params.get("error_description"));
  const r = await fetch(API + "/auth/oidc/providers");
  const { items } = await r.json();
  const list = document.getElementById("providers");
  list.textContent = "";
  for (const p of items) {
    const button = document.createElement("button");
    button.textContent = "Sign in with " + p.name;
    button.onclick = () => signIn(p.id).catch((e) => show("status", "error: " + e.message));
    list.append(button);
  }
}
window.done = main().then(() => "ok", (e) => { show("status", "error: " + e.message); return "error: " + e.message; });
</script>`;

function serve(port) {
  const server = createServer((req, res) => {
    if (new URL(req.url, appOrigin).pathname !== "/oidc-app.html") {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(Number(port), "127.0.0.1", () => resolve(server)));
}

async function run(context, trace) {
  // The person at the provider: fresh login, fresh verified email.
  const put = await fetch(`${issuer}/__test/accounts/${encodeURIComponent(login)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, email_verified: true, name }),
  });
  check(put.status === 204, `PUT ${issuer}/__test/accounts/${login} answered ${put.status}`);
  trace.push(`provider account ${login} <${email}>`);

  const tab = context.pages()[0] ?? (await context.newPage());
  // What the page itself sends and receives at the token endpoint and /users/me, recorded in
  // the order the responses arrive (their bodies and headers are read later).
  const tokenCalls = [];
  const meCalls = [];
  tab.on("response", (response) => {
    const request = response.request();
    if (request.url() === `${api}/auth/token` && request.method() === "POST") {
      const body = response.json().catch(() => null);
      tokenCalls.push(body.then((body) => ({ type: request.resourceType(), frame: request.frame().url(), status: response.status(), body })));
    }
    if (request.url() === `${api}/users/me` && request.method() === "GET") {
      const authorization = request.headerValue("authorization").catch(() => null);
      meCalls.push(authorization.then((authorization) => ({ type: request.resourceType(), authorization, status: response.status() })));
    }
  });
  tab.on("framenavigated", (frame) => {
    if (frame === tab.mainFrame()) trace.push(`at ${frame.url().replace(/([?&](code|state)=)[^&]+/g, "$1…")}`);
  });

  await tab.goto(appUrl);
  const button = tab.getByRole("button", { name: "Sign in with Acme SSO" });
  await button.waitFor();
  await button.click();

  // The provider's login form.
  await tab.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  const loginField = tab.locator('input[name="login"]');
  await loginField.fill(login);
  await tab.locator('input[name="password"]').fill(`pw-${suffix}`);
  await tab.screenshot({ path: screenshots.login, fullPage: true });

  // Provider -> Gatehouse's callback -> the app page, which redeems the code.
  await Promise.all([tab.waitForURL((url) => url.origin === appOrigin, { timeout: 30_000 }), loginField.press("Enter")]);
  const outcome = await tab.evaluate(() => window.done);
  const tokens = await Promise.all(tokenCalls);
  const mes = await Promise.all(meCalls);
  trace.push(`the page: ${outcome}; token calls ${JSON.stringify(tokens.map(({ body, ...c }) => ({ ...c, keys: body && Object.keys(body) })))}`);
  check(outcome === "ok", `the app page: ${outcome}`);
  await tab.locator("#me").filter({ hasText: email }).waitFor();
  await tab.screenshot({ path: screenshots.signedIn, fullPage: true });

  const shown = await tab.locator("#me").textContent();
  check(shown === email, `the page shows ${JSON.stringify(shown)}, not the email registered at the provider (${email})`);
  const signedIn = await tab.evaluate(() => window.signedIn);
  trace.push(`signed in: ${JSON.stringify({ ...signedIn, accessToken: "…" })}`);
  check(signedIn.user.email === email, `GET /users/me answered the account ${signedIn.user.email}`);
  check(signedIn.user.email_verified === true, "the new account's email is not verified though the provider said it was");
  check(signedIn.user.name === name, `the new account's name is ${JSON.stringify(signedIn.user.name)}, not the provider's ${JSON.stringify(name)}`);

  // The access token is the one the page's own fetch got from POST /auth/token.
  const first = tokens[0];
  check(first?.status === 200 && first.type === "fetch" && new URL(first.frame).origin === appOrigin,
    `the first POST /auth/token was not the app page's fetch answered 200: ${JSON.stringify({ ...first, body: undefined })}`);
  check(typeof first.body?.access_token === "string" && first.body.access_token === signedIn.accessToken,
    "the page's access token is not the one its POST /auth/token answered");
  check(mes.some((c) => c.type === "fetch" && c.status === 200 && c.authorization === `Bearer ${first.body.access_token}`),
    `no GET /users/me from the page with that token answered 200: ${JSON.stringify(mes.map((c) => c.status))}`);

  // The code was used up by its first redemption.
  const second = await tab.evaluate(() => window.secondRedemption);
  trace.push(`second redemption -> ${JSON.stringify(second)}`);
  check(second.status === 400 && second.body?.error === "invalid_grant", `a second redemption of the code answered ${JSON.stringify(second)}`);

  // The browser ends on the app's page, the code out of the address bar, the verifier gone.
  const final = new URL(tab.url());
  check(final.origin === appOrigin && final.pathname === "/oidc-app.html" && !final.search, `the browser ended at ${tab.url()}`);
  check((await tab.evaluate(() => sessionStorage.getItem("pkce_verifier"))) === null, "the code_verifier stayed in sessionStorage");
}

async function main() {
  if (!api || !issuer || !OIDC_APP_PORT) {
    console.error("set BASE_URL, OIDC_ISSUER and OIDC_APP_PORT");
    return 2;
  }
  mkdirSync(target, { recursive: true });
  for (const path of Object.values(screenshots)) rmSync(path, { force: true });
  const server = await serve(OIDC_APP_PORT);
  try {
    return await runSpec(
      "sign in with an OpenID Connect provider: an app on another origin, its own PKCE pair, the provider's login form, code redeemed by the page",
      "browser-oidc-failure.png",
      run,
    );
  } finally {
    server.close();
  }
}

process.exitCode = await main();
