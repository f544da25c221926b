/**
 * Invited by email, end to end: the inviter has the relay send the mail
 * through a real SMTP server (smtp-server on loopback), goes offline; the
 * test reads the delivered mail, takes the link from it, and the invitee
 * joins with nothing else. Confirmed invite: the invitee sees nothing until
 * the inviter comes back and confirms, then reads the whole history and
 * writes. Open invites are not sent through the relay at all.
 */
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { InviteMailError, mailThroughRelay } from "../core/membership/invite-mail.js";
import { chat, peopleOn, say } from "./membership-harness.js";
import { type RelayProcess, removeDir, startRelayProcess, waitFor } from "./relay-harness.js";
import { FROM, TestSmtp } from "./smtp-harness.js";

let smtp: TestSmtp;
let relay: RelayProcess;
beforeAll(async () => {
  smtp = await TestSmtp.start();
  relay = await startRelayProcess({ args: ["--smtp-url", smtp.url, "--smtp-from", FROM] });
});
afterAll(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
  await smtp?.close();
});
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

it("A invites B by email through the relay; B joins from the mailed link while A is away, waits for A's confirmation, then reads everything and writes", async () => {
  const [ann, bob] = [await person("Ann"), await person("Bob")];
  const annSpace = await founded(ann, "Garden plans");
  for (const text of ["tomatoes in May", "water on Sundays"]) await say(annSpace, text);
  const options = inviteOptions("confirmed");
  const { url } = await annSpace.invite(options);
  await expect.poll(() => ann.engine!.relay!.info.mail).toBe(true);
  await mailThroughRelay(
    ann.engine!.relay!,
    { to: "bob@example.org", link: url },
    { inviterName: "Ann", spaceName: annSpace.name, mode: "confirmed" },
  );
  await ann.offline();

  // What the SMTP server received is all Bob gets.
  await waitFor(() => smtp.received.length === 1, "the mail at the SMTP server");
  const parsed = await simpleParser(smtp.received[0]!.raw);
  expect(smtp.received[0]!.rcptTo).toEqual(["bob@example.org"]);
  expect(parsed.subject).toBe('Ann invites you to "Garden plans" on Grove');
  const mailedLink = parsed
    .text!.split("\n")
    .find((line) => line.includes("/join#"))!
    .trim();
  expect(mailedLink).toBe(url);

  const bobSpace = await bob.join(mailedLink);
  expect(bobSpace.access.isMember()).toBe(false);
  expect(chat(bobSpace)).toEqual([]);

  const annBack = await ann.reopen(annSpace.space.access.spaceId);
  await waitFor(() => annBack.log.state.pending.size === 1, "Bob's request at Ann");
  const [request] = [...annBack.log.state.pending.values()];
  expect([request!.name, toHex(request!.cert.user)]).toEqual(["Bob", bob.id]);
  // Not yet in: nothing of the space reached Bob while Ann was deciding.
  expect(chat(bobSpace)).toEqual([]);
  await annBack.confirm(request!.id);

  await waitFor(() => chat(bobSpace).length === 2, "the history at Bob", 20_000);
  expect(chat(bobSpace)).toEqual(["tomatoes in May", "water on Sundays"]);
  expect(bobSpace.name).toBe("Garden plans");
  await say(bobSpace, "I'll bring seeds");
  await waitFor(() => chat(annBack).includes("I'll bring seeds"), "Bob's message at Ann");
});

it("an open invite is not sent through the relay: its operator could use the link", async () => {
  const ann = await person("Ann");
  const annSpace = await founded(ann, "Open house");
  const { url } = await annSpace.invite(inviteOptions("open"));
  const before = smtp.received.length;
  await expect(
    mailThroughRelay(
      ann.engine!.relay!,
      { to: "bob@example.org", link: url },
      { inviterName: "Ann", spaceName: "Open house", mode: "open" },
    ),
  ).rejects.toBeInstanceOf(InviteMailError);
  expect(smtp.received.length).toBe(before);
});
