import { useEffect, useState } from "react";
import { fromHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import type { SpaceHandle } from "../model/space-handle.js";
import { notesTool } from "../tools/notes/index.js";
import { useConfirm } from "./Confirm.js";
import { useClient } from "./hooks.js";
import { JoinBadge } from "./JoinBadge.js";
import { leaveConfirmation } from "./leave-words.js";
import { Members } from "./Members.js";
import { WhoIsHere } from "./notes/WhoIsHere.js";
import { TOOLS, type Tool } from "./route.js";
import { SafetyNumber } from "./SafetyNumber.js";

const TABS = TOOLS;

export type { Tool };

type Tab = Tool;

export function SpaceView({
  handle,
  tool,
  onTool,
  onLeft,
}: {
  handle: SpaceHandle;
  /** The open tool (the route's), Chat when none is named. */
  tool?: Tool;
  onTool: (tool: Tool) => void;
  onLeft: () => void;
}) {
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const tab: Tab = tool ?? "Chat";
  const setTab = onTool;
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(handle.name);
  const unread = handle.unread(client.readAt(handle.id));
  const here = handle.whoIsWhere();
  const noteTitle = (id?: string) =>
    handle
      .tool(notesTool)
      .notes()
      .find((n) => n.id === id)?.title;

  // Who is where: the others see which tool this device has open (whereabouts.ts).
  useEffect(() => {
    handle.setTool(tab);
  }, [handle, tab]);
  useEffect(() => () => handle.setTool(""), [handle]);

  // Opening a space puts focus in it (its writing field, else its title), not left in the sidebar.
  useEffect(() => {
    const field = document.querySelector<HTMLElement>("#main [data-composer]");
    (field ?? document.getElementById("space-title"))?.focus({ preventScroll: true });
  }, []);

  // Seen while open: the unread count goes back to zero (debounced, one account edit per burst).
  useEffect(() => {
    if (unread === 0 || document.visibilityState !== "visible") return;
    // An unread count that stays is the worst a failed write does here.
    const t = setTimeout(
      () => void client.markRead(handle.id).catch(noted("MARK_READ", "marking a space read")),
      600,
    );
    return () => clearTimeout(t);
  }, [client, handle.id, unread]);

  const gone = handle.departure();
  const forget = () =>
    void client.attempt("Deleting the space", () => client.leaveSpace(handle.id)).then(onLeft);

  if (!handle.isMember && !gone) {
    const inviter = handle.inviter();
    const refusal = handle.refusal;
    if (refusal) {
      return (
        <section className="space" aria-labelledby="space-title">
          <header className="space-head">
            <h1 id="space-title" tabIndex={-1} dir="auto">
              {handle.name}
            </h1>
          </header>
          <div className="waiting card" role="alert">
            <h2>You were not let in</h2>
            <p>{refusal}</p>
            <button
              type="button"
              onClick={() =>
                void client.attempt("Removing the space", () => client.leaveSpace(handle.id))
              }
            >
              Remove from my spaces
            </button>
          </div>
        </section>
      );
    }
    return (
      <section className="space" aria-labelledby="space-title">
        <header className="space-head">
          <h1 id="space-title" tabIndex={-1} dir="auto">
            {handle.name}
          </h1>
        </header>
        <div className="waiting card">
          <h2>Waiting to be let in</h2>
          <p>
            {client.membershipWaiting(handle.id)
              ? "Your request waits on this device and goes to the relay once it can be reached."
              : "Your request is at the relay."}{" "}
            On an open invite a member's device lets you in as soon as one is online; otherwise a
            manager compares your safety number with you first. Nothing of the space is readable
            before that.
          </p>
          {inviter && (
            <div>
              <p>
                Safety number with <strong>{inviter.name}</strong>: they see the same digits when
                you compare.
              </p>
              <SafetyNumber
                me={client.myUser}
                them={inviter.user}
                label={`Safety number with ${inviter.name}`}
                big
              />
              {client.isVerified(inviter.user) ? (
                <p className="verified">You marked {inviter.name} verified.</p>
              ) : (
                <button
                  type="button"
                  onClick={() =>
                    void client.attempt("Marking as verified", () =>
                      client.verify(inviter.user, inviter.name),
                    )
                  }
                >
                  The numbers match: mark {inviter.name} verified
                </button>
              )}
            </div>
          )}
          <p className="muted small">You can close Grove meanwhile: the answer waits for you.</p>
        </div>
      </section>
    );
  }

  return (
    <section className="space" aria-labelledby="space-title">
      {confirmDialog}
      <header className="space-head">
        {renaming ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim()) void client.attempt("Renaming the space", () => handle.rename(name));
              setRenaming(false);
            }}
          >
            <label className="sr-only" htmlFor="space-name">
              Space name
            </label>
            <input
              id="space-name"
              dir="auto"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={80}
            />
            <button type="submit" className="primary">
              Save
            </button>
          </form>
        ) : (
          <h1 id="space-title" tabIndex={-1} dir="auto">
            {handle.name}
          </h1>
        )}
        <div className="row">
          {gone && (
            <button
              type="button"
              onClick={() =>
                ask({
                  title: "Delete from this device?",
                  body: `The copy of "${handle.name}" on this device is erased. This cannot be undone.`,
                  action: "Delete",
                  run: forget,
                })
              }
            >
              Delete from this device
            </button>
          )}
          {handle.canManage && !renaming && (
            <button type="button" onClick={() => setRenaming(true)}>
              Rename
            </button>
          )}
          {!gone && (
            <button
              type="button"
              onClick={() =>
                // As in Signal: what was written stays readable here until deleted.
                ask({
                  ...leaveConfirmation(handle.name, handle.members()),
                  action: "Leave",
                  run: () =>
                    void client.attempt("Leaving the space", () =>
                      handle.member.remove(fromHex(client.myUser)),
                    ),
                })
              }
            >
              Leave
            </button>
          )}
        </div>
      </header>
      {gone && (
        <div className="card departed" role="status">
          <h2>
            {gone.self
              ? `You left ${handle.name}`
              : `${gone.by} removed you from ${handle.name} on ${new Date(gone.at).toLocaleDateString(undefined, { dateStyle: "long" })}`}
          </h2>
          <p className="muted">
            This is an archive of the space up to then: nothing new reaches you, and you cannot
            write in it.
          </p>
        </div>
      )}
      <div role="tablist" aria-label="Tools" className="tabs">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(tab);
              const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
              const next = step === 0 ? undefined : TABS[(i + TABS.length + step) % TABS.length];
              if (!next) return;
              setTab(next);
              // Focus follows the selection, as the tabs pattern expects.
              document.getElementById(`tab-${next}`)?.focus();
            }}
          >
            {t}
            {t === "Members" && <JoinBadge count={handle.waitingForMe()} />}
            <WhoIsHere
              people={here
                .filter((p) => p.tool === t)
                .map((p) => ({
                  ...p,
                  where: p.note ? `${t}: ${noteTitle(p.note) ?? "a note"}` : t,
                }))}
            />
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        {handle.tools.map(({ plugin, model }) => {
          if (plugin.label !== tab) return null;
          const View = plugin.View;
          return <View key={plugin.id} handle={handle} model={model} />;
        })}
        {tab === "Members" && <Members handle={handle} />}
      </div>
    </section>
  );
}
