import { memo, type RefObject, useEffect, useRef, useState } from "react";
import type { ChatMessage } from "../../../../core/space/tools/chat.js";
import type { Authenticity } from "../../../../core/space/tools/signed-records.js";
import type { SpaceHandle } from "../../model/space-handle.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { submitOnEnter, useDraft } from "../../ui/compose.js";
import { Alert } from "../../ui/Form.js";
import { shortTime } from "../../ui/format.js";
import { useClient, useClientActions } from "../../ui/hooks.js";
import { Markdown } from "../../ui/Markdown.js";
import type { ChatModel, Delivery } from "./model.js";
import { deliveryText, reach } from "./words.js";

/** Messages rendered at once; older ones come on request (a space may hold thousands). */
const PAGE = 100;
/** Messages of one author within this long of the group's first share one name and time. */
const GROUP_MS = 60_000;

/** Whether `m` continues the group of the message before it (same author, same minute). */
export function continues(prev: ChatMessage | undefined, m: ChatMessage): boolean {
  return (
    prev !== undefined &&
    prev.author === m.author &&
    Math.floor(prev.at / GROUP_MS) === Math.floor(m.at / GROUP_MS)
  );
}

function authenticityWarning(a: Authenticity | undefined): "forged" | "unsigned" | undefined {
  return a === "forged" || a === "unsigned" ? a : undefined;
}

/**
 * The delivery said under message `i` of `list`: once per group, under its last message, and
 * then the group's least advanced state, so a group never reads "Delivered" while one of its
 * messages is not; a message still on this device only says so itself as well.
 */
function shownDelivery(
  model: ChatModel,
  list: ChatMessage[],
  i: number,
  queued: ReadonlySet<string>,
): Delivery | undefined {
  const m = list[i];
  if (!m) return undefined;
  const own = model.delivery(m, queued);
  const next = list[i + 1];
  if (next && continues(m, next)) return own.state === "local" ? own : undefined;
  let least = own;
  // Back through the group: each earlier message that this one continues.
  for (let k = i; k > 0; k--) {
    const [prev, cur] = [list[k - 1], list[k]];
    if (!prev || !cur || !continues(prev, cur)) break;
    const d = model.delivery(prev, queued);
    if (reach(d) < reach(least)) least = d;
  }
  return least;
}

export function ChatView({ handle, model }: ToolViewProps<ChatModel>) {
  const client = useClient();
  const [shown, setShown] = useState(PAGE);
  // The first message someone else wrote since the space was last read, as it stood when the
  // chat opened: the line stays put while the count is cleared, and what arrives while the
  // chat is on screen is being read, so it gets no line (as in Slack).
  const [firstUnread] = useState(() => {
    const readAt = client.readAt(handle.id);
    return model.messages().find((m) => m.at > readAt && m.author !== client.myUser)?.id;
  });
  const [editing, setEditing] = useState<string>();
  const all = model.messages();
  const list = all.slice(-shown);
  const bottom = useRef<HTMLDivElement>(null);
  const divider = useRef<HTMLDivElement>(null);
  const last = all[all.length - 1]?.id;
  const opened = useRef(false);

  useEffect(() => {
    if (!last) return;
    // On opening, the first unread message shows (near the top); afterwards, the newest.
    if (!opened.current && divider.current) divider.current.scrollIntoView({ block: "start" });
    else bottom.current?.scrollIntoView({ block: "end" });
    opened.current = true;
  }, [last]);

  return (
    <div className="chat">
      <div className="messages" role="log" aria-label="Messages" aria-live="polite">
        {all.length > shown && (
          <button type="button" className="link" onClick={() => setShown(shown + PAGE)}>
            Show earlier messages
          </button>
        )}
        {list.length === 0 && <p className="muted pad">No messages yet. Say hello.</p>}
        {list.map((m, i) => (
          <Message
            key={m.id}
            m={m}
            grouped={continues(list[i - 1], m) && m.id !== firstUnread}
            unreadFromHere={m.id === firstUnread}
            dividerRef={divider}
            name={handle.nameOf(m.author)}
            model={model}
            mine={m.author === client.myUser}
            mentionsMe={m.mentions.includes(client.myUser)}
            delivery={
              // Said once per group (under its last message), and on any message not yet sent.
              m.author === client.myUser ? shownDelivery(model, list, i, client.queued) : undefined
            }
            warning={authenticityWarning(model.authenticity(m))}
            editing={editing === m.id}
            setEditing={setEditing}
          />
        ))}
        <div ref={bottom} />
      </div>
      {handle.canWrite ? (
        <Composer handle={handle} model={model} />
      ) : (
        <p className="muted pad">You can read this space; only members may write.</p>
      )}
    </div>
  );
}

/**
 * One message; memoized, so a catch-up that re-renders the list every frame
 * re-renders (and re-parses the markdown of) only the messages that changed.
 * Records are replaced, never mutated, so identity tells.
 */
const Message = memo(function Message(props: {
  m: ChatMessage;
  /** Continues the previous message's group: no name and time of its own. */
  grouped: boolean;
  /** The first message not yet read: a divider goes above it. */
  unreadFromHere: boolean;
  dividerRef: RefObject<HTMLDivElement | null>;
  /** The author's name in the membership: a record's own name is the writer's to choose. */
  name: string;
  model: ChatModel;
  mine: boolean;
  mentionsMe: boolean;
  /** Own messages only (a fresh object each render: those few re-render every time). */
  delivery: Delivery | undefined;
  /** Set only for a record that fails its check (so a verdict of "verified" re-renders nothing). */
  warning: "forged" | "unsigned" | undefined;
  editing: boolean;
  setEditing: (id: string | undefined) => void;
}) {
  const { m, name, model } = props;
  const client = useClientActions();
  const [draft, setDraft] = useState(m.text);
  const cls = [
    "message",
    props.mine ? "mine" : "",
    props.mentionsMe ? "mention" : "",
    props.grouped ? "grouped" : "",
  ].join(" ");
  const done = async (text?: string) => {
    props.setEditing(undefined);
    if (text?.trim() && text !== m.text) {
      await client.attempt("Saving the edit", () => model.editMessage(m.id, text));
    }
  };
  const showHead = !props.grouped || props.warning || (m.editedAt && !m.deleted);
  return (
    <>
      {props.unreadFromHere && (
        <div className="new-divider" ref={props.dividerRef}>
          <span>New messages</span>
        </div>
      )}
      <article className={cls} aria-label={`${name}, ${shortTime(m.at)}`} data-message-id={m.id}>
        {showHead && (
          <header>
            {!props.grouped && (
              <>
                <strong className="author" dir="auto">
                  {name}
                </strong>
                <time className="muted small" dateTime={new Date(m.at).toISOString()}>
                  {shortTime(m.at)}
                </time>
              </>
            )}
            {m.editedAt && !m.deleted && <span className="muted small">(edited)</span>}
            {props.warning && (
              <span className="forged small" data-testid="authenticity">
                {props.warning === "forged"
                  ? `Not signed by ${name}'s devices: someone else may have written this`
                  : "Unsigned: Grove cannot tell who wrote this"}
              </span>
            )}
          </header>
        )}
        {m.deleted ? (
          <p className="muted deleted">Message deleted</p>
        ) : props.editing ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void done(draft);
            }}
          >
            <label className="sr-only" htmlFor={`edit-${m.id}`}>
              Edit message
            </label>
            <textarea
              id={`edit-${m.id}`}
              dir="auto"
              value={draft}
              // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to edit
              autoFocus
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Escape") {
                  e.preventDefault();
                  void done();
                } else submitOnEnter(e);
              }}
            />
            <div className="row end">
              <button type="button" onClick={() => void done()}>
                Cancel
              </button>
              <button type="submit" className="primary">
                Save
              </button>
            </div>
          </form>
        ) : (
          <Markdown text={m.text} />
        )}
        {props.delivery && (
          <span className={`delivery ${props.delivery.state}`} data-testid="delivery">
            {deliveryText(props.delivery)}
          </span>
        )}
        {props.mine && !m.deleted && !props.editing && (
          <div className="message-actions">
            <button type="button" className="link small" onClick={() => props.setEditing(m.id)}>
              Edit
            </button>
            <button
              type="button"
              className="link small"
              onClick={() =>
                void client.attempt("Deleting the message", () => model.deleteMessage(m.id))
              }
            >
              Delete
            </button>
          </div>
        )}
      </article>
    </>
  );
});

function Composer({ handle, model }: { handle: SpaceHandle; model: ChatModel }) {
  const [text, setText] = useDraft(handle.id, "chat");
  const [error, setError] = useState<string>();
  const send = async () => {
    const value = text;
    if (!value.trim()) return;
    setText("");
    try {
      await model.send(value);
      setError(undefined);
    } catch (err) {
      setText(value);
      setError(`Not sent: ${(err as Error).message}`);
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label className="sr-only" htmlFor="composer">
        Message
      </label>
      <textarea
        id="composer"
        data-composer
        dir="auto"
        rows={2}
        value={text}
        placeholder={`Message ${handle.name}`}
        aria-describedby="composer-hint"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={submitOnEnter}
      />
      <button type="submit" className="primary" disabled={!text.trim()}>
        Send
      </button>
      <span id="composer-hint" className="composer-hint muted small">
        Enter sends · Shift+Enter new line · @name mentions
      </span>
      <Alert message={error} />
    </form>
  );
}
