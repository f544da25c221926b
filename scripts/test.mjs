#!/usr/bin/env node
/**
 * `npm test`: typecheck, lint, unit and integration tests (vitest), browser
 * tests (Playwright). Every step runs even when an earlier one fails, so one
 * run shows everything; the last line totals both runners' JSON reports:
 *   tests: N passed, N failed, N skipped
 * It is also written to test-results/summary.txt for .ci/run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stripVTControlCharacters } from "node:util";

const RESULTS = "test-results";
rmSync(`${RESULTS}/vitest.json`, { force: true });
rmSync(`${RESULTS}/playwright.json`, { force: true });
mkdirSync(RESULTS, { recursive: true });

const steps = [
  ["typecheck", "npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]],
  ["lint", "npx", ["biome", "check", "."]],
  [
    "vitest",
    "npx",
    [
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${RESULTS}/vitest.json`,
    ],
  ],
  // On Linux, Playwright runs where WebRTC can gather candidates even on a
  // machine with no default route (see scripts/private-network.sh).
  process.platform === "linux"
    ? ["playwright", "bash", ["scripts/private-network.sh", "npx", "playwright", "test"]]
    : ["playwright", "npx", ["playwright", "test"]],
];

const failedSteps = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n== ${name}`);
  const { status } = spawnSync(cmd, args, { stdio: "inherit" });
  if (status !== 0) failedSteps.push(name);
}

function readJson(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

/** An error's first line, and fast-check's seed and counterexample when there are (to replay the run). */
function firstLine(text) {
  const lines = stripVTControlCharacters(String(text ?? ""))
    .split("\n")
    .map((l) => l.trim());
  const first = lines.find((l) => l !== "") ?? "";
  const seed = lines.find((l) => /\bseed\b/.test(l) && l !== first);
  const example = lines.find((l) => l.startsWith("Counterexample:"))?.slice(0, 300);
  return [first, seed, example].filter(Boolean).join(" ");
}

function failedTests(vitestReport, playwrightReport) {
  const out = [];
  for (const file of vitestReport?.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0)
      out.push(`${name}: ${firstLine(file.message)}`);
    for (const test of file.assertionResults ?? []) {
      if (test.status === "failed")
        out.push(`${name} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== "unexpected") continue;
        const error = test.results?.at(-1)?.error?.message;
        const file = relative(
          process.cwd(),
          join(playwrightReport.config?.rootDir ?? "", spec.file),
        );
        out.push(`${file}:${spec.line} › ${spec.title}: ${firstLine(error)}`);
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of playwrightReport?.suites ?? []) walk(suite);
  return out;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const vitest = readJson(`${RESULTS}/vitest.json`);
if (vitest) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
}
const playwright = readJson(`${RESULTS}/playwright.json`);
if (playwright) {
  totals.passed += playwright.stats.expected + playwright.stats.flaky;
  totals.failed += playwright.stats.unexpected;
  totals.skipped += playwright.stats.skipped;
}
// A runner that crashed before reporting counts as a failure, as does a run that executed nothing.
if (!vitest || !playwright || totals.passed + totals.failed === 0) totals.failed += 1;

// CI keeps only the tail of the log: name each failed test there, with the
// first line of its error, so a failure seen once can be found again.
for (const failure of failedTests(vitest, playwright)) console.log(`failed: ${failure}`);
if (failedSteps.length > 0) console.log(`\nfailed steps: ${failedSteps.join(", ")}`);
const line = `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
writeFileSync(`${RESULTS}/summary.txt`, `${line}\n`);
console.log(line);
process.exit(failedSteps.length > 0 || totals.failed > 0 ? 1 : 0);
