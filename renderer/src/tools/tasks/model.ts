/** The tasks of one space: signed items whose fields (done, title, assignee, due) change alone. */
import { taskHits } from "../../../../core/space/tools/search.js";
import {
  addTask,
  changeTask,
  deleteTask,
  draftChange,
  draftTask,
  newlyAssigned,
  type TaskChange,
  type TaskView,
  tasks,
} from "../../../../core/space/tools/tasks.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { Notice, ToolHit, ToolModel } from "../../model/tool-plugin.js";

export class TasksModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  tasks(): TaskView[] {
    return this.ctx.cached("tasks", () => tasks(this.ctx.doc, this.ctx.trust));
  }

  async addTask(title: string): Promise<void> {
    const draft = draftTask({ id: randomId(), ...this.ctx.authored(), title: title.trim() });
    const signed = await this.ctx.sign("task", "", draft);
    await this.ctx.member.space.edit((doc) => addTask(doc, signed));
  }

  /** Ticks or reopens, renames, assigns (a user key, or null for nobody), sets the due day. */
  async changeTask(id: string, change: TaskChange): Promise<void> {
    const drafted = draftChange("title" in change ? { title: change.title.trim() } : change);
    if (!drafted) return;
    const record = await this.ctx.field("task-field", id, drafted.field, drafted.v);
    await this.ctx.member.space.edit((doc) => {
      changeTask(doc, id, drafted.field, record, this.ctx.trust);
    });
  }

  deleteTask(id: string): Promise<void> {
    return this.ctx.removeItem("task-field", id, deleteTask);
  }

  /** A task given to this user by someone else counts as unread. */
  unread(readAt: number): number {
    return newlyAssigned(this.tasks(), this.ctx.me.user, readAt).length;
  }

  search(matches: (text: string) => boolean): ToolHit[] {
    return taskHits(this.tasks(), matches);
  }

  /** A task given to this user tells them wherever they are, like a mention. */
  notices(since: number, space: string): Notice[] {
    return assignedTo(this.tasks(), this.ctx.me.user, since).map(({ task, assigned }) =>
      taskNotice({ id: task.id, title: task.title, by: assigned.name, at: assigned.at }, space),
    );
  }

  activity(since: number): ActivityItem[] {
    return tasksActivity(this.tasks(), this.ctx.me.user, since);
  }
}

/** Tasks newly given to `me`, with who gave them and when. */
function assignedTo(list: TaskView[], me: string, since: number) {
  return newlyAssigned(list, me, since).flatMap((task) =>
    task.assigned ? [{ task, assigned: task.assigned }] : [],
  );
}

/** The notice of a task given to this user, by `by` (a name), in `space`. */
export function taskNotice(
  task: { id: string; title: string; by: string; at: number },
  space: string,
): Notice {
  return {
    key: `task:${task.id}:${task.at}`,
    urgent: true,
    title: `${task.by} gave you a task in ${space}`,
    body: task.title,
    generic: "New task",
    neutral: "You have a new task",
  };
}

export function tasksActivity(list: TaskView[], me: string, since: number): ActivityItem[] {
  return assignedTo(list, me, since).map(({ task, assigned }) => ({
    key: `task:${task.id}`,
    tool: "Tasks",
    at: assigned.at,
    text: `${assigned.name} gave you the task ${quote(task.title)}`,
  }));
}
