// Swagger UI as a person uses it: open /docs, Authorize through the OAuth2 password flow
// (which posts to /auth/token), then "Try it out" on GET /users/me and read the live response.
//
// Needs a running server and a registered user; .ci/browser.sh provides both.
// Environment: BASE_URL (or PORT, on 127.0.0.1), BROWSER_EMAIL, BROWSER_PASSWORD,
// CHROMIUM (default /usr/bin/chromium, Debian's: playwright-core never downloads a browser).
// On failure: a screenshot at target/browser-failure.png, and a non-zero exit.

import { check, runSpec } from "./harness.mjs";

const baseUrl = process.env.BASE_URL ?? (process.env.PORT ? `http://127.0.0.1:${process.env.PORT}` : null);
const email = process.env.BROWSER_EMAIL;
const password = process.env.BROWSER_PASSWORD;

async function run(page, trace) {
  // /docs answers 308 to /docs/, which serves the UI.
  const response = await page.goto(`${baseUrl}/docs`, { waitUntil: "domcontentloaded" });
  const redirect = response.request().redirectedFrom();
  check(redirect !== null, `GET /docs was not redirected (landed on ${page.url()})`);
  const redirectStatus = (await redirect.response())?.status();
  check(redirectStatus === 308, `GET /docs answered ${redirectStatus}, expected 308`);
  check(new URL(page.url()).pathname === "/docs/", `the redirect led to ${page.url()}, expected /docs/`);
  check(response.status() === 200, `GET /docs/ answered ${response.status()}`);

  // The UI has loaded /openapi.json once the operations are listed.
  const meBlock = page.locator(".opblock.opblock-get", {
    has: page.locator('.opblock-summary-path[data-path="/users/me"]'),
  });
  await meBlock.waitFor({ state: "visible" });

  // Authorize: fill the OAuth2 password flow, leaving the client credentials empty.
  await page.locator(".auth-wrapper button.authorize").click();
  // The dialog holds the bearer form and then one block per OAuth2 scheme, each headed
  // "<name> (OAuth2, <flow>)"; the inputs vanish once authorized, the heading stays.
  const oauth = page.locator(`xpath=//div[contains(@class,"dialog-ux")]//div[h4[contains(., "(OAuth2, password)")]]`);
  await oauth.waitFor({ state: "visible" });
  await oauth.locator("#oauth_username").fill(email);
  await oauth.locator("#oauth_password").fill(password);
  const tokenResponse = page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/token");
  await oauth.getByRole("button", { name: "Apply given OAuth2 credentials" }).click();
  const token = await tokenResponse;
  trace.push(`POST /auth/token -> ${token.status()}`);
  check(token.status() === 200, `POST /auth/token answered ${token.status()}: ${await token.text()}`);
  // Swagger UI shows "Logout" in place of "Authorize" once it holds the token.
  await oauth.getByRole("button", { name: "Remove authorization" }).waitFor({ state: "visible" });
  await oauth.getByRole("button", { name: "Close" }).click();
  await page.locator(".dialog-ux").waitFor({ state: "detached" });

  // GET /users/me: expand, Try it out, Execute.
  await meBlock.locator(".opblock-summary-control").click();
  await meBlock.locator("button.try-out__btn").click();
  const meResponse = page.waitForResponse((r) => new URL(r.url()).pathname === "/users/me" && r.request().method() === "GET");
  await meBlock.locator("button.execute").click();
  trace.push(`GET /users/me -> ${(await meResponse).status()}`);

  // The live response as the page shows it.
  const live = meBlock.locator(".live-responses-table .response");
  await live.waitFor({ state: "visible" });
  const shownStatus = (await live.locator(".response-col_status").innerText()).trim();
  check(shownStatus === "200", `the page shows status ${shownStatus} for GET /users/me, expected 200`);
  const shownBody = await live.locator(".response-col_description").innerText();
  check(shownBody.includes(`"email": "${email}"`), `the response body shown does not carry the user's email:\n${shownBody}`);
}

async function main() {
  if (!baseUrl || !email || !password) {
    console.error("set BASE_URL or PORT, BROWSER_EMAIL and BROWSER_PASSWORD");
    return 2;
  }
  return runSpec("Swagger UI: /docs, Authorize (OAuth2 password), GET /users/me shows 200", "browser-failure.png", async (context, trace) => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => trace.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && trace.push(`console: ${m.text()}`));
    page.on("requestfailed", (r) => trace.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    await run(page, trace);
  });
}

process.exitCode = await main();
