import { type FormEvent, useEffect, useRef, useState } from "react";
import { MAX_TASK_TITLE, type TaskView } from "../../../../core/space/tools/tasks.js";
import type { MemberView } from "../../model/space-context.js";
import type { SpaceHandle } from "../../model/space-handle.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { useDraft } from "../../ui/compose.js";
import { localDay, shortTime } from "../../ui/format.js";
import { useClient } from "../../ui/hooks.js";
import type { TasksModel } from "./model.js";

/** The space's shared to-do list: add, tick, assign, give a day, delete. */
export function TasksView({ handle, model }: ToolViewProps<TasksModel>) {
  const client = useClient();
  const [title, setTitle] = useDraft(handle.id, "tasks");
  const list = model.tasks();
  const members = handle.members();
  const open = list.filter((t) => !t.done);
  const done = list.filter((t) => t.done);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    await client.attempt("Adding the task", async () => {
      await model.addTask(title);
      setTitle("");
    });
  };
  return (
    <div className="tasks">
      {handle.canWrite && (
        <form className="row" onSubmit={add} aria-label="Add a task">
          <label className="sr-only" htmlFor="new-task">
            New task
          </label>
          <input
            id="new-task"
            data-composer
            dir="auto"
            className="grow"
            placeholder="A new task"
            value={title}
            maxLength={MAX_TASK_TITLE}
            onChange={(e) => setTitle(e.target.value)}
          />
          <button type="submit" className="primary" disabled={!title.trim()}>
            Add
          </button>
        </form>
      )}
      <h2 className="sr-only">Open tasks</h2>
      <ul className="task-list" aria-label="Open tasks">
        {open.map((t) => (
          <TaskRow key={t.id} handle={handle} model={model} task={t} members={members} />
        ))}
        {open.length === 0 && <li className="muted pad">Nothing left to do.</li>}
      </ul>
      {done.length > 0 && (
        <>
          <h2 className="small muted">Done ({done.length})</h2>
          <ul className="task-list done" aria-label="Done tasks">
            {done.map((t) => (
              <TaskRow key={t.id} handle={handle} model={model} task={t} members={members} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function TaskRow(props: {
  handle: SpaceHandle;
  model: TasksModel;
  task: TaskView;
  members: MemberView[];
}) {
  const { handle, model, task } = props;
  const client = useClient();
  const change = (what: string, c: Parameters<TasksModel["changeTask"]>[1]) =>
    client.attempt(what, () => model.changeTask(task.id, c));
  const readOnly = !handle.canWrite;
  const overdue = !task.done && task.due !== undefined && task.due < localDay();
  const mine = task.assignee === client.myUser;
  const box = `task-${task.id}`;
  const [renaming, setRenaming] = useState<string>();
  const cancelled = useRef(false);
  // Shown ticked at once, until the task as this view reads it agrees (its record verified and
  // the view rendered again, which can come after the change resolved: clearing it then showed
  // the old state meanwhile) or the change failed.
  const done = task.done !== undefined;
  const [ticking, setTicking] = useState<boolean>();
  useEffect(() => {
    if (ticking === done) setTicking(undefined);
  }, [ticking, done]);
  const shown = ticking ?? done;
  return (
    <li className={mine ? "task mine" : "task"}>
      <input
        id={box}
        type="checkbox"
        checked={shown}
        disabled={readOnly}
        onChange={(e) => {
          const to = e.target.checked;
          setTicking(to);
          void client.attempt("Ticking the task", async () => {
            try {
              await model.changeTask(task.id, { done: to });
            } catch (err) {
              setTicking(undefined);
              throw err;
            }
          });
        }}
      />
      <div className="grow">
        {renaming !== undefined ? (
          <input
            dir="auto"
            aria-label={`New title for ${task.title}`}
            value={renaming}
            maxLength={MAX_TASK_TITLE}
            // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to rename
            autoFocus
            onChange={(e) => setRenaming(e.target.value)}
            onBlur={() => {
              const next = renaming.trim();
              setRenaming(undefined);
              if (cancelled.current) {
                cancelled.current = false;
                return;
              }
              if (next && next !== task.title) void change("Renaming the task", { title: next });
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
              if (e.key === "Escape") {
                cancelled.current = true;
                e.currentTarget.blur();
              }
            }}
          />
        ) : (
          <label htmlFor={box} className="task-title" dir="auto">
            {task.title || "Untitled"}
          </label>
        )}
        <span className="muted small">
          {task.done
            ? `done by ${task.done.name} · ${shortTime(task.done.at)}`
            : `added by ${task.created.name}`}
          {mine && !task.done && " · yours"}
          {overdue && <span className="overdue"> · overdue</span>}
        </span>
      </div>
      <div className="task-controls">
        <select
          className="task-who"
          aria-label={`Who does ${task.title}`}
          value={task.assignee ?? ""}
          disabled={readOnly}
          onChange={(e) => void change("Assigning the task", { assignee: e.target.value || null })}
        >
          <option value="">Nobody yet</option>
          {props.members.map((m) => (
            <option key={m.user} value={m.user}>
              {m.me ? `${m.name} (me)` : m.name}
            </option>
          ))}
        </select>
        <input
          type="date"
          className="task-due"
          aria-label={`Due day of ${task.title}`}
          value={task.due ?? ""}
          disabled={readOnly}
          onChange={(e) => void change("Setting the day", { due: e.target.value || null })}
        />
        {handle.canWrite && renaming === undefined && (
          <button type="button" onClick={() => setRenaming(task.title)}>
            Rename <span className="sr-only">{task.title}</span>
          </button>
        )}
        {handle.canWrite && (handle.canManage || task.created.by === client.myUser) && (
          <button
            type="button"
            onClick={() =>
              void client.attempt("Deleting the task", () => model.deleteTask(task.id))
            }
          >
            Delete <span className="sr-only">{task.title}</span>
          </button>
        )}
      </div>
    </li>
  );
}
