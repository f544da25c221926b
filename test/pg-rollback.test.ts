/**
 * A transaction whose ROLLBACK also fails leaves its connection in an
 * unknown state: the failure must say so (STORE_UNAVAILABLE, which the writer
 * treats as a broken connection and destroys the client for), keeping the
 * statement's own error as the cause. No database needed: the client here
 * stands in for one whose socket died between the two statements.
 */
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { isConnectionError, rollback } from "../relay/store/pg-writer.js";
import { RelayStoreError } from "../relay/store/relay-store.js";

function clientWhoseRollback(fails: boolean): pg.PoolClient {
  const query = async (sql: string) => {
    if (sql === "ROLLBACK" && fails) throw new Error("Connection terminated unexpectedly");
    return { rows: [] };
  };
  return { query } as unknown as pg.PoolClient;
}

describe("rollback after a failed statement", () => {
  it("passes quietly when ROLLBACK works, so the statement's own error is what the caller throws", async () => {
    await expect(rollback(clientWhoseRollback(false), new Error("unique violation"))).resolves.toBe(
      undefined,
    );
  });

  it("fails as STORE_UNAVAILABLE, with the statement's error as cause, when ROLLBACK fails", async () => {
    const cause = new Error("unique violation");
    const failure = await rollback(clientWhoseRollback(true), cause).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(RelayStoreError);
    expect(failure).toMatchObject({ code: "STORE_UNAVAILABLE", cause });
    expect((failure as Error).message).toMatch(/rollback failed .* after: unique violation/);
    // The writer destroys a client whose batch failed on a connection error.
    expect(isConnectionError(failure)).toBe(true);
  });
});
