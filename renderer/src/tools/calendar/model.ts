/** The calendar of one space: signed events, each member's answer, cancelling. */
import {
  type Answer,
  addEvent,
  answer,
  answerPlace,
  cancelEvent,
  draftEvent,
  type EventInput,
  type EventView,
  eventProblem,
  events,
} from "../../../../core/space/tools/calendar.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { ToolModel } from "../../model/tool-plugin.js";

/** An event refused before anything is sent, with what is wrong with it. */
export class EventInputError extends Error {
  override readonly name = "EventInputError";
  readonly code = "BAD_EVENT";
}

export class CalendarModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  /**
   * The events, each with the answers of current members only: someone who left or was
   * removed keeps their signed answer in the doc, but is not counted as coming.
   */
  events(): EventView[] {
    return this.ctx.cached("events", () => {
      const members = new Set(this.ctx.members().map((m) => m.user));
      return events(this.ctx.doc, this.ctx.trust).map((e) => ({
        ...e,
        answers: Object.fromEntries(
          Object.entries(e.answers).filter(([user]) => members.has(user)),
        ),
      }));
    });
  }

  /** Puts an event in; rejects with what is wrong with it, before anything is sent. */
  async addEvent(input: EventInput): Promise<void> {
    const problem = eventProblem(input);
    if (problem) throw new EventInputError(problem);
    const draft = draftEvent({ id: randomId(), ...this.ctx.authored() }, input);
    const signed = await this.ctx.sign("event", "", draft);
    await this.ctx.member.space.edit((doc) => addEvent(doc, signed));
  }

  /** This user's answer to an event; null takes it back. */
  async answerEvent(id: string, reply: Answer | null): Promise<void> {
    const { me, trust } = this.ctx;
    const record =
      reply === null
        ? null
        : await this.ctx.sign("event-answer", answerPlace(id), {
            v: reply,
            by: me.user,
            at: Date.now(),
          });
    await this.ctx.member.space.edit((doc) => {
      answer(doc, id, me.user, record, trust);
    });
  }

  cancelEvent(id: string): Promise<void> {
    return this.ctx.removeItem("event-field", id, cancelEvent);
  }

  activity(since: number): ActivityItem[] {
    return calendarActivity(this.events(), this.ctx.me.user, since);
  }
}

export function calendarActivity(list: EventView[], me: string, since: number): ActivityItem[] {
  return list
    .filter((e) => e.created.by !== me && e.created.at > since)
    .map((e) => ({
      key: `event:${e.id}`,
      tool: "Calendar",
      at: e.created.at,
      text: `${e.created.name} added ${quote(e.title)} on ${e.day}`,
    }));
}
