import { useEffect, useState } from "react";
import type { GroveClient } from "../model/client.js";
import { Activity } from "./Activity.js";
import { Buddies } from "./Buddies.js";
import { ClientContext, useClient } from "./hooks.js";
import { KeyChangeBanner } from "./KeyChangeBanner.js";
import { LinkDeviceDialog } from "./LinkDevice.js";
import { useBadge, useNotifications } from "./notifications.js";
import { Onboarding } from "./Onboarding.js";
import { SearchResults } from "./Search.js";
import { Sidebar } from "./Sidebar.js";
import { JoinDialog, NewSpaceDialog } from "./SpaceDialogs.js";
import { SpaceView, type Tool } from "./SpaceView.js";
import { StatusPanel } from "./StatusPanel.js";
import { useTheme } from "./theme.js";
import { Unlock } from "./Unlock.js";

export type View =
  | { kind: "space"; id: string; tool?: Tool }
  | { kind: "buddies" }
  | { kind: "status" }
  | { kind: "search"; query: string }
  | { kind: "activity" }
  | { kind: "home" };

/** An invite link the page was opened with (/app/join#…), taken once and cleared from the address bar. */
function takeJoinLink(): string | undefined {
  if (!location.pathname.endsWith("/join") || location.hash.length < 2) return undefined;
  const link = location.href;
  history.replaceState(null, "", location.pathname.replace(/join$/, ""));
  return link;
}

export function App({ client }: { client: GroveClient }) {
  return (
    <ClientContext.Provider value={client}>
      <Shell />
    </ClientContext.Provider>
  );
}

function Shell() {
  const client = useClient();
  const [theme, setTheme] = useTheme();
  const [view, setView] = useState<View>({ kind: "home" });
  const [dialog, setDialog] = useState<"new" | "join" | "link" | undefined>();
  const [joinLink, setJoinLink] = useState<string | undefined>(takeJoinLink);
  useNotifications(client, view.kind === "space" ? view.id : undefined);

  useEffect(() => {
    if (client.phase === "ready" && joinLink) setDialog("join");
  }, [client.phase, joinLink]);

  // A grove://join link the desktop shell handed over (first launch or a second one).
  const deepLink = client.deepLink;
  useEffect(() => {
    if (client.phase === "ready" && deepLink?.startsWith("grove://join")) {
      setJoinLink(client.takeDeepLink());
      setDialog("join");
    }
  }, [client, client.phase, deepLink]);
  useBadge(client);

  if (client.phase === "loading") {
    return (
      <main className="center" aria-busy="true">
        <p>Opening Grove…</p>
      </main>
    );
  }
  if (client.phase === "failed") {
    return (
      <main className="center">
        <h1>Grove could not open</h1>
        <p role="alert">{client.failure}</p>
      </main>
    );
  }
  if (client.phase === "elsewhere") {
    return (
      <main className="center">
        <h1>Grove is open in another tab</h1>
        <p>
          One window at a time keeps this profile in sync, so nothing is sent twice or lost. Use the
          other one, or move Grove here.
        </p>
        <button
          type="button"
          className="primary"
          onClick={() => void client.attempt("Moving Grove to this tab", () => client.moveHere())}
        >
          Use here
        </button>
      </main>
    );
  }
  if (client.phase === "choose-passphrase" || client.phase === "locked") return <Unlock />;
  if (client.phase === "onboarding") return <Onboarding />;

  const current = view.kind === "space" ? client.spaces.get(view.id) : undefined;
  return (
    <div className="app">
      <Sidebar
        view={view}
        onView={setView}
        onNewSpace={() => setDialog("new")}
        onJoin={() => setDialog("join")}
        onLinkDevice={() => setDialog("link")}
        theme={theme}
        onTheme={setTheme}
      />
      <main className="main" id="main">
        <KeyChangeBanner onShow={() => setView({ kind: "buddies" })} />
        {client.problem && (
          <div className="banner danger" role="alert">
            <strong>{client.problem.what} failed:</strong> {client.problem.message}{" "}
            <button type="button" className="link" onClick={() => client.dismissProblem()}>
              Dismiss
            </button>
          </div>
        )}
        {view.kind === "space" && current ? (
          <SpaceView
            key={`${current.id}:${view.tool ?? ""}`}
            handle={current}
            {...(view.tool ? { tool: view.tool } : {})}
            onLeft={() => setView({ kind: "home" })}
          />
        ) : view.kind === "buddies" ? (
          <Buddies />
        ) : view.kind === "status" ? (
          <StatusPanel />
        ) : view.kind === "activity" ? (
          <Activity onOpen={(id, tool) => setView({ kind: "space", id, tool })} />
        ) : view.kind === "search" ? (
          <SearchResults
            query={view.query}
            onOpen={(id, tool) => setView({ kind: "space", id, tool })}
          />
        ) : (
          <Home onNew={() => setDialog("new")} onJoin={() => setDialog("join")} />
        )}
      </main>
      {dialog === "new" && (
        <NewSpaceDialog
          onClose={() => setDialog(undefined)}
          onCreated={(id) => {
            setDialog(undefined);
            setView({ kind: "space", id });
          }}
        />
      )}
      {dialog === "link" && <LinkDeviceDialog onClose={() => setDialog(undefined)} />}
      {dialog === "join" && (
        <JoinDialog
          initial={joinLink ?? ""}
          onClose={() => {
            setDialog(undefined);
            setJoinLink(undefined);
          }}
          onJoined={(id) => {
            setDialog(undefined);
            setJoinLink(undefined);
            setView({ kind: "space", id });
          }}
        />
      )}
    </div>
  );
}

function Home(props: { onNew: () => void; onJoin: () => void }) {
  const client = useClient();
  const count = client.spaces.size;
  return (
    <section className="home" aria-labelledby="home-title">
      <h1 id="home-title">Welcome, {client.profile?.name}</h1>
      <p>
        {count === 0
          ? "Spaces hold your group's chat and discussions, kept on every member's device and end-to-end encrypted."
          : "Pick a space on the left, or start another one."}
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={props.onNew}>
          Create a space
        </button>
        <button type="button" onClick={props.onJoin}>
          Join with an invitation link
        </button>
      </div>
    </section>
  );
}
