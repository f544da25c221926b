import { describe, expect, it } from "vitest";
import {
  joinNotificationFor,
  notificationFor,
  PREVIEW_CHOICES,
  taskNotificationFor,
} from "./notifications.js";

const message = { name: "Ann", text: "The door code is 4711", deleted: false };

describe("notification previews", () => {
  it("show the name and text only when the setting says so", () => {
    expect(notificationFor(message, "Garden", false, "message")).toEqual({
      title: "Ann in Garden",
      body: "The door code is 4711",
    });
    expect(notificationFor(message, "Garden", true, "message")?.title).toBe(
      "Ann mentioned you in Garden",
    );
    expect(notificationFor(message, "Garden", false, "sender")).toEqual({
      title: "Ann in Garden",
      body: "New message",
    });
    expect(notificationFor(message, "Garden", true, "nothing")).toEqual({
      title: "Grove",
      body: "You were mentioned",
    });
    expect(notificationFor(message, "Garden", false, "off")).toBeUndefined();
  });

  it("never leak the text, the sender or the space beyond what each setting allows", () => {
    for (const mentioned of [false, true]) {
      const sender = notificationFor(message, "Garden", mentioned, "sender");
      expect(sender).toBeDefined();
      expect(JSON.stringify(sender)).not.toContain("4711");
      const nothing = notificationFor(message, "Garden", mentioned, "nothing");
      expect(nothing).toBeDefined();
      expect(JSON.stringify(nothing)).not.toMatch(/4711|Ann|Garden/);
    }
    expect(notificationFor({ ...message, deleted: true }, "Garden", false, "message")?.body).toBe(
      "",
    );
    expect(PREVIEW_CHOICES.map((c) => c.value)).toEqual(["message", "sender", "nothing", "off"]);
  });

  it("say a task was given only as far as the setting allows", () => {
    const task = { title: "Pay the seed invoice", by: "Ann" };
    expect(taskNotificationFor(task, "Garden", "message")).toEqual({
      title: "Ann gave you a task in Garden",
      body: "Pay the seed invoice",
    });
    expect(JSON.stringify(taskNotificationFor(task, "Garden", "sender"))).not.toContain("invoice");
    expect(JSON.stringify(taskNotificationFor(task, "Garden", "nothing"))).not.toMatch(
      /invoice|Ann|Garden/,
    );
    expect(taskNotificationFor(task, "Garden", "off")).toBeUndefined();
  });

  it("name a joiner and the space only as far as the setting allows", () => {
    expect(joinNotificationFor("Cho", "Garden", "message")?.title).toBe("Cho asks to join Garden");
    expect(joinNotificationFor("Cho", "Garden", "sender")?.body).toBe("Asks to join");
    expect(JSON.stringify(joinNotificationFor("Cho", "Garden", "nothing"))).not.toMatch(
      /Cho|Garden/,
    );
    expect(joinNotificationFor("Cho", "Garden", "off")).toBeUndefined();
  });
});
