// What every browser spec shares: Debian's Chromium (playwright-core never downloads a
// browser), the flags that keep it quiet on this closed network, a fresh profile per run, and
// one result line that .ci/run sums: `browser: N passed, M failed`.

import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium's own connections are refused here in
// bursts; a fresh profile keeps runs independent.
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Runs `body(context, trace)` in a fresh headless Chromium (`args`: further Chromium flags); on
// failure prints the trace and leaves a screenshot at target/<screenshot>. Returns the number
// of failures (0 or 1).
export async function runSpec(title, screenshot, body, { args = [] } = {}) {
  const screenshotPath = join(repoRoot, "target", screenshot);
  // A screenshot left by an earlier failure would mislead.
  rmSync(screenshotPath, { force: true });
  const profile = mkdtempSync(join(tmpdir(), "gatehouse-chromium-"));
  const trace = [];
  let context;
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: [...chromiumArgs, ...args] });
    context.setDefaultTimeout(20_000);
    try {
      await body(context, trace);
      console.log(`ok - ${title}`);
    } catch (e) {
      failed = 1;
      console.error(`not ok - ${title}: ${e.message}`);
      for (const line of trace) console.error(`  ${line}`);
      mkdirSync(dirname(screenshotPath), { recursive: true });
      await context.pages()[0]?.screenshot({ path: screenshotPath, fullPage: true }).then(
        () => console.error(`  screenshot: ${screenshotPath}`),
        (s) => console.error(`  no screenshot: ${s.message}`),
      );
    }
  } catch (e) {
    failed = 1;
    console.error(`not ok - could not start Chromium (${executablePath}): ${e.message}`);
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`browser: ${1 - failed} passed, ${failed} failed`);
  return failed;
}
