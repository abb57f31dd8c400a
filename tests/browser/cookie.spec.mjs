// Browser apps with the refresh token in an HttpOnly cookie (auth.refresh_transport = "cookie"):
// a page served from another origin (another port) logs in with credentials: "include", two
// tabs refresh at the same moment and both stay signed in (the grace window), JavaScript cannot
// read the refresh token, a page on an origin that is not allowed can neither refresh nor
// log out with the cookie the browser attaches for it, and a form it posts to /auth/token signs
// the browser into nobody's account (login CSRF).
//
// Needs a running server in cookie mode with a grace window, CORS for APP_ORIGIN, and a
// registered user; .ci/browser.sh provides them. Environment: BASE_URL, APP_PORT, EVIL_PORT,
// BROWSER_EMAIL, BROWSER_PASSWORD, CHROMIUM (default /usr/bin/chromium).
// On failure: a screenshot at target/browser-cookie-failure.png, and a non-zero exit.

import { createServer } from "node:http";
import { check, runSpec } from "./harness.mjs";

const { BASE_URL: api, APP_PORT, EVIL_PORT, BROWSER_EMAIL: email, BROWSER_PASSWORD: password } = process.env;

// The README's "Browser apps" example, as a page: every call the app makes goes through these.
const page = `<!doctype html><meta charset="utf-8"><title>app</title><script>
const API = ${JSON.stringify(api)};
let accessToken = null;
async function login(email, password) {
  const r = await fetch(API + "/auth/login", {
    method: "POST", credentials: "include",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }),
  });
  const body = await r.json();
  accessToken = body.access_token;
  return { status: r.status, hasRefreshInJson: "refresh_token" in body };
}
async function refresh() {
  const r = await fetch(API + "/auth/refresh", { method: "POST", credentials: "include" });
  if (r.ok) accessToken = (await r.json()).access_token;
  return r.status;
}
async function me() {
  const r = await fetch(API + "/users/me", { headers: { authorization: "Bearer " + accessToken } });
  return r.status;
}
async function logout() {
  const r = await fetch(API + "/auth/logout", { method: "POST", credentials: "include" });
  return r.status;
}
</script>`;

function serve(port) {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(Number(port), "127.0.0.1", () => resolve(server)));
}

async function refreshCookie(context) {
  // The cookie lives on /auth: ask for a URL under it.
  return (await context.cookies(`${api}/auth/refresh`)).find((c) => c.name === "gatehouse_refresh");
}

async function run(context, trace) {
  const appOrigin = `http://127.0.0.1:${APP_PORT}`;
  const tab1 = context.pages()[0] ?? (await context.newPage());
  await tab1.goto(`${appOrigin}/`);
  const signedIn = await tab1.evaluate(([e, p]) => login(e, p), [email, password]);
  trace.push(`login -> ${JSON.stringify(signedIn)}`);
  check(signedIn.status === 200, `login answered ${signedIn.status}`);
  check(!signedIn.hasRefreshInJson, "the refresh token is in the JSON, within JavaScript's reach");
  const cookie = await refreshCookie(context);
  check(cookie?.httpOnly === true && cookie.sameSite === "Strict" && cookie.path === "/auth", `cookie: ${JSON.stringify(cookie)}`);
  const readable = await tab1.evaluate(() => document.cookie);
  check(!readable.includes("gatehouse_rt_") && !readable.includes("gatehouse_refresh"), `document.cookie shows ${readable}`);
  check((await tab1.evaluate(() => me())) === 200, "GET /users/me with the access token failed");

  // Two tabs of the app refresh at the same moment: both stay signed in.
  const tab2 = await context.newPage();
  await tab2.goto(`${appOrigin}/`);
  await tab2.evaluate(() => refresh().then(() => me())); // tab 2 gets a token of its own first
  const [one, two] = await Promise.all([tab1.evaluate(() => refresh()), tab2.evaluate(() => refresh())]);
  trace.push(`two tabs refresh at once -> ${one}, ${two}`);
  check(one === 200 && two === 200, `two tabs refreshing at once answered ${one} and ${two}`);
  const [meOne, meTwo] = await Promise.all([tab1.evaluate(() => me()), tab2.evaluate(() => me())]);
  check(meOne === 200 && meTwo === 200, `after the double refresh GET /users/me answered ${meOne} and ${meTwo}`);
  check((await tab1.evaluate(() => refresh())) === 200, "a later refresh failed: the session did not survive the double refresh");

  // A page on an origin that is not allowed: the browser attaches the cookie (same site), the
  // server refuses it, and nothing changes. no-cors sends the request without a preflight,
  // as a CSRF form would.
  const before = (await refreshCookie(context)).value;
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.1:${EVIL_PORT}/`);
  await evil.evaluate(async (API) => {
    for (const path of ["/auth/refresh", "/auth/logout"]) {
      await fetch(API + path, { method: "POST", credentials: "include", mode: "no-cors", body: "x", headers: { "content-type": "text/plain" } });
    }
  }, api);
  const cors = await evil.evaluate(async (API) => {
    try {
      const r = await fetch(API + "/auth/refresh", { method: "POST", credentials: "include" });
      return `read ${r.status}`;
    } catch (e) {
      return "blocked";
    }
  }, api);
  trace.push(`not-allowed origin reading a refresh -> ${cors}`);
  check(cors === "blocked", `a page on a not-allowed origin could read a refresh answer (${cors})`);
  const after = await refreshCookie(context);
  check(after?.value === before, "a not-allowed origin rotated or cleared the refresh cookie");
  check((await tab1.evaluate(() => refresh())) === 200, "the session did not survive the not-allowed origin's logout");

  // The app's own logout ends it and clears the cookie.
  check((await tab1.evaluate(() => logout())) === 204, "logout failed");
  check((await refreshCookie(context)) === undefined, "logout left the refresh cookie");
  check((await tab1.evaluate(() => refresh())) === 401, "a refresh after logout did not answer 401");

  // Login CSRF: a page on another origin submits a plain HTML form to the token endpoint with
  // the attacker's credentials. The browser follows it (a top-level navigation, which may set
  // cookies) but the server refuses the origin and sets none: the browser is not signed in to
  // anybody's account.
  const csrf = await context.newPage();
  await csrf.goto(`http://127.0.0.1:${EVIL_PORT}/`);
  const answer = csrf.waitForResponse((r) => r.url() === `${api}/auth/token`);
  await csrf.evaluate(([API, e, p]) => {
    const form = document.createElement("form");
    form.method = "POST";
    form.action = API + "/auth/token";
    for (const [name, value] of [["grant_type", "password"], ["username", e], ["password", p]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, [api, email, password]);
  const status = (await answer).status();
  trace.push(`cross-site form to /auth/token -> ${status}`);
  check(status === 403, `a cross-site form post to /auth/token answered ${status}`);
  check((await refreshCookie(context)) === undefined, "a cross-site form signed the browser in (login CSRF)");
}

async function main() {
  if (!api || !APP_PORT || !EVIL_PORT || !email || !password) {
    console.error("set BASE_URL, APP_PORT, EVIL_PORT, BROWSER_EMAIL and BROWSER_PASSWORD");
    return 2;
  }
  const servers = await Promise.all([serve(APP_PORT), serve(EVIL_PORT)]);
  try {
    return await runSpec(
      "browser app on another origin: HttpOnly refresh cookie, two tabs at once, a not-allowed origin refused",
      "browser-cookie-failure.png",
      run,
    );
  } finally {
    for (const server of servers) server.close();
  }
}

process.exitCode = await main();
