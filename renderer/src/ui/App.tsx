import { useCallback, useEffect, useRef, useState } from "react";
import type { GroveClient } from "../model/client.js";
import { Activity } from "./Activity.js";
import { Buddies } from "./Buddies.js";
import { NARROW, useDrawer } from "./drawer.js";
import { ClientContext, useClient } from "./hooks.js";
import { UnreadBadge } from "./JoinBadge.js";
import { KeyChangeBanner } from "./KeyChangeBanner.js";
import { LinkDeviceDialog } from "./LinkDevice.js";
import { useBadge, useNotifications } from "./notifications.js";
import { Onboarding } from "./Onboarding.js";
import { TOOLS, useRoute, type View } from "./route.js";
import { SearchResults } from "./Search.js";
import { Sidebar } from "./Sidebar.js";
import { JoinDialog, NewSpaceDialog } from "./SpaceDialogs.js";
import { SpaceView } from "./SpaceView.js";
import { StatusPanel } from "./StatusPanel.js";
import { SpaceSwitcher } from "./Switcher.js";
import { focusComposer, type ShortcutAction, ShortcutsHelp, useShortcuts } from "./shortcuts.js";
import { useTheme } from "./theme.js";
import { Unlock } from "./Unlock.js";

export type { View };

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
  // Taken before the route is read: it clears the invite's fragment from the address bar.
  const [joinLink, setJoinLink] = useState<string | undefined>(takeJoinLink);
  const [view, navigate] = useRoute();
  const [dialog, setDialog] = useState<"new" | "join" | "link" | "switcher" | "help" | undefined>();
  // Below 900 px the space list is a drawer behind a button.
  const { open: navOpen, setOpen: setNavOpen, button: navButton } = useDrawer();
  // Where search was started from: Escape or an emptied box goes back there.
  const beforeSearch = useRef<View>({ kind: "home" });
  useNotifications(client, view.kind === "space" ? view.id : undefined);

  const go = useCallback(
    (next: View, how?: { replace?: boolean }) => {
      setNavOpen(false);
      navigate(next, how);
    },
    [navigate, setNavOpen],
  );

  // A dialog opened from the drawer replaces it, as a menu's choice does.
  const openDialog = (d: NonNullable<typeof dialog>) => {
    setNavOpen(false);
    setDialog(d);
  };
  // Any change of place (back, forward, a typed address) closes the drawer too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the view is the trigger, not an input
  useEffect(() => setNavOpen(false), [view, setNavOpen]);

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

  // Drafts are written a moment after typing stops; a page going away writes them now.
  useEffect(() => {
    const flush = () => client.drafts?.flush();
    addEventListener("pagehide", flush);
    return () => removeEventListener("pagehide", flush);
  }, [client]);

  const onShortcut = useCallback(
    (a: ShortcutAction) => {
      if (a.kind === "switcher") setDialog((d) => (d === "switcher" ? undefined : "switcher"));
      else if (a.kind === "help") setDialog("help");
      else if (a.kind === "compose") focusComposer();
      else if (a.kind === "search") {
        if (matchMedia(NARROW).matches) setNavOpen(true);
        requestAnimationFrame(() => document.getElementById("search")?.focus());
      } else if (a.kind === "tool" && view.kind === "space") {
        const tool = TOOLS[a.index];
        if (tool) navigate({ ...view, tool });
      }
    },
    [view, navigate, setNavOpen],
  );
  useShortcuts(onShortcut);

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
    <div className={navOpen ? "app nav-open" : "app"}>
      <Sidebar
        view={view}
        onView={(v) => go(v)}
        onSearch={(query) => {
          if (view.kind !== "search") beforeSearch.current = view;
          go({ kind: "search", query }, { replace: view.kind === "search" });
        }}
        onSearchEnd={() => {
          if (view.kind === "search") go(beforeSearch.current, { replace: true });
        }}
        onNewSpace={() => openDialog("new")}
        onJoin={() => openDialog("join")}
        onLinkDevice={() => openDialog("link")}
        onShortcuts={() => openDialog("help")}
        theme={theme}
        onTheme={setTheme}
      />
      {navOpen && (
        // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes the drawer (handled above)
        // biome-ignore lint/a11y/noStaticElementInteractions: a click beside the drawer closes it
        <div className="scrim" onClick={() => setNavOpen(false)} />
      )}
      <button
        ref={navButton}
        type="button"
        className="nav-toggle"
        aria-expanded={navOpen}
        aria-label="Spaces and people"
        onClick={() => setNavOpen(!navOpen)}
      >
        <span aria-hidden="true">☰</span>
      </button>
      <main className="main" id="main" inert={navOpen}>
        <KeyChangeBanner onShow={() => go({ kind: "buddies" })} />
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
            key={current.id}
            handle={current}
            {...(view.tool ? { tool: view.tool } : {})}
            onTool={(tool) => navigate({ kind: "space", id: current.id, tool })}
            onLeft={() => go({ kind: "home" })}
          />
        ) : view.kind === "buddies" ? (
          <Buddies />
        ) : view.kind === "status" ? (
          <StatusPanel />
        ) : view.kind === "activity" ? (
          <Activity onOpen={(id, tool) => go({ kind: "space", id, tool })} />
        ) : view.kind === "search" ? (
          <SearchResults
            query={view.query}
            onOpen={(id, tool) => go({ kind: "space", id, tool })}
          />
        ) : (
          <Home
            onNew={() => setDialog("new")}
            onJoin={() => setDialog("join")}
            onOpen={(id) => go({ kind: "space", id })}
          />
        )}
      </main>
      {dialog === "switcher" && (
        <SpaceSwitcher
          onClose={() => setDialog(undefined)}
          onOpen={(id) => {
            setDialog(undefined);
            go({ kind: "space", id });
          }}
        />
      )}
      {dialog === "help" && <ShortcutsHelp onClose={() => setDialog(undefined)} />}
      {dialog === "new" && (
        <NewSpaceDialog
          onClose={() => setDialog(undefined)}
          onCreated={(id) => {
            setDialog(undefined);
            go({ kind: "space", id });
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
            go({ kind: "space", id });
          }}
        />
      )}
    </div>
  );
}

function Home(props: { onNew: () => void; onJoin: () => void; onOpen: (id: string) => void }) {
  const client = useClient();
  const count = client.spaces.size;
  return (
    <section className="home" aria-labelledby="home-title">
      <h1 id="home-title">Welcome, {client.profile?.name}</h1>
      <p>
        {count === 0
          ? "Spaces hold your group's chat and discussions, kept on every member's device and end-to-end encrypted."
          : "Pick one of your spaces, or start another one."}
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={props.onNew}>
          Create a space
        </button>
        <button type="button" onClick={props.onJoin}>
          Join with an invitation link
        </button>
      </div>
      {count > 0 && (
        // Where the sidebar is a drawer, the spaces are on the first screen too (as on a phone).
        <section className="home-spaces" aria-labelledby="home-spaces-title">
          <h2 id="home-spaces-title">Your spaces</h2>
          <ul className="topics">
            {client.spaceList().map(({ handle, unread }) => (
              <li key={handle.id}>
                <button type="button" className="topic" onClick={() => props.onOpen(handle.id)}>
                  <span className="topic-title">
                    <span dir="auto">{handle.name}</span>
                    <UnreadBadge count={unread} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
