import { type FormEvent, useState } from "react";
import { unreadIn } from "../../../../core/space/tools/discussion.js";
import type { SpaceHandle } from "../../model/space-handle.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { submitOnEnter, useDraft } from "../../ui/compose.js";
import { shortTime } from "../../ui/format.js";
import { useClient } from "../../ui/hooks.js";
import { Markdown } from "../../ui/Markdown.js";
import type { DiscussionModel } from "./model.js";

export function DiscussionView({ handle, model }: ToolViewProps<DiscussionModel>) {
  const client = useClient();
  const [open, setOpen] = useState<string>();
  const [readAt, setReadAt] = useState<Record<string, number>>({});
  const [openedAt] = useState(() => client.readAt(handle.id));
  const topics = model.topics();
  const topic = topics.find((t) => t.id === open);

  if (topic) {
    return (
      <Thread
        handle={handle}
        model={model}
        topicId={topic.id}
        onBack={() => {
          setReadAt({ ...readAt, [topic.id]: Date.now() });
          setOpen(undefined);
        }}
      />
    );
  }
  // The space's read mark as it was when the tool opened: a topic arriving while it is on
  // screen stays marked until opened, though the space's count is cleared meanwhile.
  const spaceRead = openedAt;
  return (
    <div className="discussion">
      {handle.canWrite && <NewTopic handle={handle} model={model} />}
      <h2 className="sr-only">Topics</h2>
      <ul className="topics">
        {topics.map((t) => {
          const unread = unreadIn(t, Math.max(spaceRead, readAt[t.id] ?? 0), client.myUser);
          return (
            <li key={t.id}>
              <button type="button" className="topic" onClick={() => setOpen(t.id)}>
                <span className="topic-title">
                  {unread > 0 && <span className="unread-dot" aria-hidden />}
                  <span dir="auto">{t.title}</span>
                </span>
                <span className="muted small">
                  {t.name} · {t.replies.length} {t.replies.length === 1 ? "reply" : "replies"} ·{" "}
                  {shortTime(t.lastActivity)}
                  {unread > 0 && <span className="badge">{unread} new</span>}
                </span>
              </button>
            </li>
          );
        })}
        {topics.length === 0 && <li className="muted pad">No topics yet. Start one above.</li>}
      </ul>
    </div>
  );
}

function NewTopic({ handle, model }: { handle: SpaceHandle; model: DiscussionModel }) {
  const client = useClient();
  const [title, setTitle] = useDraft(handle.id, "discussion", "title");
  const [text, setText] = useDraft(handle.id, "discussion", "post");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    await client.attempt("Starting the topic", async () => {
      await model.startTopic(title, text);
      setTitle("");
      setText("");
    });
  };
  return (
    <form className="new-topic card" onSubmit={submit} aria-label="New topic">
      <label>
        Topic title
        <input
          data-composer
          dir="auto"
          value={title}
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
        />
      </label>
      <label>
        First post
        <textarea
          rows={2}
          dir="auto"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={submitOnEnter}
        />
      </label>
      <div className="row end">
        <button type="submit" className="primary" disabled={!title.trim()}>
          Start topic
        </button>
      </div>
    </form>
  );
}

function Thread(props: {
  handle: SpaceHandle;
  model: DiscussionModel;
  topicId: string;
  onBack: () => void;
}) {
  const client = useClient();
  const topic = props.model.topics().find((t) => t.id === props.topicId);
  const [text, setText] = useDraft(props.handle.id, "discussion", props.topicId);
  if (!topic) return null;
  return (
    <div className="thread">
      <button type="button" className="link" onClick={props.onBack}>
        ← All topics
      </button>
      <article className="post">
        <h2 dir="auto">{topic.title}</h2>
        <p className="muted small">
          {topic.name} · {shortTime(topic.at)}
        </p>
        {topic.text && <Markdown text={topic.text} />}
      </article>
      <ol className="replies" aria-label="Replies">
        {topic.replies.map((r) => (
          <li key={r.id} className="reply">
            <p className="muted small">
              <strong className="author" dir="auto">
                {r.name}
              </strong>{" "}
              · {shortTime(r.at)}
            </p>
            <Markdown text={r.text} />
          </li>
        ))}
      </ol>
      {props.handle.canWrite && (
        <form
          className="composer"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!text.trim()) return;
            await client.attempt("Sending the reply", async () => {
              await props.model.reply(topic.id, text);
              setText("");
            });
          }}
        >
          <label className="sr-only" htmlFor="reply">
            Reply
          </label>
          <textarea
            id="reply"
            data-composer
            dir="auto"
            rows={2}
            placeholder="Reply"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={submitOnEnter}
          />
          <button type="submit" className="primary" disabled={!text.trim()}>
            Reply
          </button>
        </form>
      )}
    </div>
  );
}
