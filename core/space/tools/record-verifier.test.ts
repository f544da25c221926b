import { describe, expect, it } from "vitest";
import { recentErrors } from "../../diagnostics/recent-errors.js";
import { RecordVerifier } from "./record-verifier.js";

const DEVICE = "ab".repeat(32);

describe("RecordVerifier", () => {
  it("keeps its verdicts and notes the failure when the settled listener throws", async () => {
    const before = recentErrors.count("RECORD_CHECK");
    const verifier = new RecordVerifier({
      spaceId: new Uint8Array(16),
      userOfDevice: () => "alice",
      verify: async () => true,
      onSettled: () => {
        throw new Error("a view failed to rebuild");
      },
    });
    const record = { device: DEVICE, sig: new Uint8Array(64), title: "t" };
    expect(await verifier.check("task", "t1", record, "alice")).toBe("verified");
    await verifier.idle();
    expect(verifier.verdict("task", "t1", record, "alice")).toBe("verified");
    expect(recentErrors.count("RECORD_CHECK")).toBe(before + 1);
    expect(recentErrors.list()[0]).toMatchObject({
      code: "RECORD_CHECK",
      message: "a view failed to rebuild",
    });
  });

  it("judges a record without a signature unsigned at once, and a wrong author forged", async () => {
    const verifier = new RecordVerifier({
      spaceId: new Uint8Array(16),
      userOfDevice: () => "bob",
      verify: async () => true,
      onSettled: () => undefined,
    });
    expect(verifier.verdict("task", "t1", { device: DEVICE }, "bob")).toBe("unsigned");
    const claimed = { device: DEVICE, sig: new Uint8Array(64) };
    expect(await verifier.check("task", "t2", claimed, "alice")).toBe("forged");
  });
});
